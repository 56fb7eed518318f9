import { describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { ResilienceModule } from '../../libs/resilience/src/resilience.module.js';
import { BreakerRegistry } from '../../libs/resilience/src/breaker/breaker.registry.js';
import { type HealthHarness, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';

const { HEALTHY, UNHEALTHY } = HealthStatus;

describe('lifecycle and shutdown', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  it('registers its timers in SchedulerRegistry and leaves none behind after app.close()', async () => {
    const signals: AbortSignal[] = [];
    h = await startHealth(
      {
        components: [
          { name: 'ok', check: () => true, intervalMs: 1_000 },
          {
            name: 'hanging',
            check: ({ signal }) => {
              signals.push(signal);
              return new Promise(() => undefined);
            },
            timeoutMs: 60_000,
          },
          {
            name: 'broken',
            check: () => false,
            heal: () => undefined,
            failureThreshold: 1,
            healing: { maxAttempts: 1, escalation: { livenessAfterMs: 60_000 } },
          },
        ],
      },
      { imports: [ResilienceModule.forRoot()] },
    );
    h.module.get(BreakerRegistry).getOrCreate('db');
    await jest.advanceTimersByTimeAsync(10);
    expect(h.scheduler.getTimeouts().toSorted()).toEqual([
      'engined:health:broken:check',
      'engined:health:broken:escalate',
      'engined:health:broken:stale',
      'engined:health:hanging:check-timeout',
      'engined:health:hanging:stale',
      'engined:health:ok:check',
      'engined:health:ok:stale',
    ]);
    expect(h.logger.takeErrors()).toEqual([
      '[HealthRegistry] Health component "broken": gave up healing after 1 attempt within 300000 ms',
      '[HealthRegistry] Health component "broken": escalated to readiness',
    ]);
    const check = jest.fn(() => true);
    h.registry.register({ name: 'late', check, intervalMs: 1_000 });
    await h.close();
    h = undefined;
    expect(signals[0]!.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(120_000);
    // Registered just before close, due at once: its timer was removed, so it never ran.
    expect(check).not.toHaveBeenCalled();
  });

  it('runs without ScheduleModule, on a private timer registry, and still leaves no timer behind', async () => {
    const check = jest.fn(() => true);
    h = await startHealth({ components: [{ name: 'a', check, intervalMs: 1_000 }] }, { schedule: false });
    await jest.advanceTimersByTimeAsync(3_000);
    expect(check).toHaveBeenCalledTimes(4);
    await h.close();
    h = undefined;
    expect(jest.getTimerCount()).toBe(0);
  });

  it("uses the app's ScheduleModule instead of adding a second one (which would run every @Interval twice)", async () => {
    @Injectable()
    class Job {
      ticks = 0;
      @Interval('job', 1_000)
      tick() {
        this.ticks++;
      }
    }
    h = await startHealth({ components: [{ name: 'a', check: () => true }] }, { providers: [Job] });
    await jest.advanceTimersByTimeAsync(3_000);
    expect(h.module.get(Job).ticks).toBe(3);
    expect(h.scheduler.getTimeouts()).toContain('engined:health:a:check');
  });

  it('fails readiness (not liveness) as soon as shutdown begins, and emits the phases', async () => {
    h = await startHealth({
      components: [
        { name: 'db', check: () => true },
        { name: 'loop', type: 'internal', probes: ['liveness'], check: () => true },
      ],
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.shuttingDown).toBe(false);
    h.registry.beginShutdown('SIGTERM');
    expect(h.registry.phase).toBe('draining');
    expect(h.registry.probe('readiness')).toMatchObject({ status: UNHEALTHY, shuttingDown: true });
    expect(h.registry.status('system')).toBe(UNHEALTHY);
    expect(h.registry.status('liveness')).toBe(HEALTHY);
    // The components themselves are still healthy: shutdown is not a component failure.
    expect(h.registry.get('db')?.status).toBe(HEALTHY);
    await h.close();
    expect(h.eventsOf('shutdown').map((e) => e.phase)).toEqual(['draining', 'stopped']);
    h = undefined;
  });

  it('waits drainDelayMs before closing on a drain signal, with readiness failing and liveness serving meanwhile', async () => {
    h = await startHealth({
      drainDelayMs: 5_000,
      components: [{ name: 'loop', type: 'internal', probes: ['liveness', 'readiness'], check: () => true }],
    });
    await jest.advanceTimersByTimeAsync(0);
    let closed = false;
    const closing = h.close('SIGTERM').then(() => (closed = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.phase).toBe('draining');
    expect([h.registry.status('readiness'), h.registry.status('liveness')]).toEqual([UNHEALTHY, HEALTHY]);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(closed).toBe(false);
    expect(h.registry.status('liveness')).toBe(HEALTHY);
    await jest.advanceTimersByTimeAsync(1);
    await closing;
    expect(closed).toBe(true);
    expect(h.registry.phase).toBe('stopped');
    h = undefined;
  });

  it('does not wait on close() without a signal, nor on a signal outside drainSignals', async () => {
    for (const signal of [undefined, 'SIGINT']) {
      h = await startHealth({ drainDelayMs: 5_000 });
      let closed = false;
      const closing = h.close(signal).then(() => (closed = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(closed).toBe(true);
      await closing;
    }
    h = undefined;
  });

  it('keeps checking during the drain so liveness stays truthful', async () => {
    const loop = scriptedCheck(true);
    h = await startHealth({
      drainDelayMs: 10_000,
      components: [{ name: 'loop', type: 'internal', probes: ['liveness'], check: loop.fn, intervalMs: 1_000, failureThreshold: 1 }],
    });
    await jest.advanceTimersByTimeAsync(0);
    const closing = h.close('SIGTERM');
    loop.answer(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(h.registry.status('liveness')).toBe(UNHEALTHY);
    await jest.advanceTimersByTimeAsync(9_000);
    await closing;
    h = undefined;
  });
});

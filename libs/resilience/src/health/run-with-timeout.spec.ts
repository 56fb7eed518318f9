import { describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { FakeClock } from '../testing/fake-clock.js';
import { HealthTimers } from './health.timers.js';
import { CallGuard, runWithTimeout } from './run-with-timeout.js';

function setup() {
  const clock = new FakeClock(0);
  const timers = new HealthTimers(clock, new SchedulerRegistry());
  return { clock, timers, guard: new CallGuard() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('runWithTimeout', () => {
  it('returns the value of a call that ends in time, leaves its signal alone and clears its timer', async () => {
    const { clock, timers, guard } = setup();
    const signal = guard.signal;
    await expect(runWithTimeout(() => 'ok', 1_000, 'c:t', timers, guard, 'Check')).resolves.toEqual({ ok: true, value: 'ok' });
    expect(signal.aborted).toBe(false);
    expect(clock.pendingTimers).toBe(0);
    guard.abort(new Error('too late'));
    expect(signal.aborted).toBe(false);
  });

  it('turns a throw into an outcome', async () => {
    const { timers, guard } = setup();
    const error = new TypeError('boom');
    await expect(
      runWithTimeout(() => {
        throw error;
      }, 1_000, 'c:t', timers, guard, 'Check'),
    ).resolves.toEqual({ ok: false, error, timedOut: false });
  });

  it('times out a call that ignores its signal, aborting the signal with a TimeoutError', async () => {
    const { clock, timers, guard } = setup();
    const running = runWithTimeout(() => new Promise(() => undefined), 1_000, 'c:t', timers, guard, 'Check "db"');
    const signal = guard.signal;
    clock.advance(999);
    await settle();
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    const outcome = await running;
    expect(outcome).toMatchObject({ ok: false, timedOut: true, error: { name: 'TimeoutError', message: 'Check "db" timed out after 1000 ms' } });
    expect(signal.reason).toBe((outcome as { error: unknown }).error);
  });

  it('ends a call at once when the guard is aborted, and a signal first read afterwards is already aborted', async () => {
    const { clock, timers, guard } = setup();
    const running = runWithTimeout(() => new Promise(() => undefined), 60_000, 'c:t', timers, guard, 'Check');
    const reason = new DOMException('stopped', 'AbortError');
    guard.abort(reason);
    await expect(running).resolves.toEqual({ ok: false, error: reason, timedOut: false });
    expect(guard.signal.aborted).toBe(true);
    expect(guard.signal.reason).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('creates no AbortController for a call that never reads its signal', async () => {
    const { timers, guard } = setup();
    const created = countAbortControllers();
    try {
      await runWithTimeout(() => true, 1_000, 'c:t', timers, guard, 'Check');
      expect(created()).toBe(0);
      void guard.signal;
      expect(created()).toBe(1);
    } finally {
      created.restore();
    }
  });
});

/** Counts `new AbortController()` calls until restored. */
function countAbortControllers() {
  const Original = globalThis.AbortController;
  let count = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      count++;
    }
  };
  const created = () => count;
  created.restore = () => {
    globalThis.AbortController = Original;
  };
  return created;
}

import { describe, expect, it, jest } from '@jest/globals';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { deferred, type HealthHarness, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;

describe('health checks and their schedule', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  const transitions = () => h!.eventsOf('status_change').map((e) => [e.at, e.from, e.to] as const);

  it('turns UNHEALTHY only after failureThreshold failures in a row, and HEALTHY again only after successThreshold passes', async () => {
    const check = scriptedCheck(true);
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, intervalMs: 1_000, failureThreshold: 3, successThreshold: 2 }],
    });
    await jest.advanceTimersByTimeAsync(0); // t=0 passes
    check.answer(false);
    await jest.advanceTimersByTimeAsync(2_000); // t=1000, t=2000 fail
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, consecutiveFailures: 2, lastResult: UNHEALTHY });
    check.answer(true);
    await jest.advanceTimersByTimeAsync(1_000); // t=3000 passes: the failure run is broken
    check.answer(false);
    await jest.advanceTimersByTimeAsync(2_000); // t=4000, t=5000 fail: only 2 in a row
    expect(h.registry.get('db')?.status).toBe(HEALTHY);
    await jest.advanceTimersByTimeAsync(1_000); // t=6000: third failure in a row
    expect(h.registry.get('db')?.status).toBe(UNHEALTHY);
    check.answer(true);
    await jest.advanceTimersByTimeAsync(1_000); // t=7000: one pass is not enough
    expect(h.registry.get('db')).toMatchObject({ status: UNHEALTHY, consecutiveSuccesses: 1 });
    await jest.advanceTimersByTimeAsync(1_000); // t=8000: second pass
    expect(transitions()).toEqual([
      [0, UNKNOWN, HEALTHY],
      [6_000, HEALTHY, UNHEALTHY],
      [8_000, UNHEALTHY, HEALTHY],
    ]);
  });

  it('takes the first result at once: hysteresis guards a known state, not UNKNOWN', async () => {
    const check = scriptedCheck(false);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, failureThreshold: 5 }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('db')?.status).toBe(UNHEALTHY);
  });

  it('follows HEALTHY ↔ DEGRADED directly', async () => {
    const check = scriptedCheck(DEGRADED);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, intervalMs: 1_000, failureThreshold: 3 }] });
    await jest.advanceTimersByTimeAsync(0);
    check.answer(HEALTHY);
    await jest.advanceTimersByTimeAsync(1_000);
    check.answer({ status: DEGRADED, message: 'replica lag 12 s' });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(transitions().map(([, , to]) => to)).toEqual([DEGRADED, HEALTHY, DEGRADED]);
    expect(h.registry.get('db')?.message).toBe('replica lag 12 s');
  });

  it('turns a stale result UNKNOWN after maxResultAgeMs, then counts each further period as a failure until UNHEALTHY', async () => {
    let calls = 0;
    const check = jest.fn(() => (++calls === 1 ? true : new Promise<boolean>(() => undefined)));
    h = await startHealth({
      components: [
        { name: 'db', check, intervalMs: 1_000, timeoutMs: 60_000, maxResultAgeMs: 5_000, failureThreshold: 2 },
      ],
    });
    await jest.advanceTimersByTimeAsync(4_999); // t=0 passes; the t=1000 check hangs
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, stale: false });
    await jest.advanceTimersByTimeAsync(1);
    expect(h.registry.get('db')).toMatchObject({ status: UNKNOWN, stale: true, lastResult: HEALTHY });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(h.registry.get('db')).toMatchObject({ status: UNHEALTHY, stale: true });
    expect(transitions()).toEqual([
      [0, UNKNOWN, HEALTHY],
      [5_000, HEALTHY, UNKNOWN],
      [10_000, UNKNOWN, UNHEALTHY],
    ]);
    expect(h.eventsOf('status_change')[1]!.reason).toMatch(/^stale: no result for 5000 ms/);
    // Nothing about staleness ran a check: still the first one plus the hanging one.
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('never overlaps a cycle with itself: a 3 s check on a 1 s interval runs back to back', async () => {
    let running = 0;
    let maxRunning = 0;
    const starts: number[] = [];
    const check = async () => {
      starts.push(Date.now());
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      running--;
      return true;
    };
    h = await startHealth({ components: [{ name: 'slow', check, intervalMs: 1_000, timeoutMs: 10_000 }] });
    const t0 = Date.now();
    await jest.advanceTimersByTimeAsync(10_000);
    void h.registry.runNow('slow'); // joins the running check instead of starting a second one
    await jest.advanceTimersByTimeAsync(10_000);
    expect(maxRunning).toBe(1);
    expect(starts.map((t) => t - t0)).toEqual([0, 4_000, 8_000, 12_000, 16_000, 20_000]);
  });

  it('counts a throwing check as UNHEALTHY with the error captured', async () => {
    const check = scriptedCheck(new TypeError('pool is closed'));
    h = await startHealth({ components: [{ name: 'db', check: check.fn }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('db')).toMatchObject({
      status: UNHEALTHY,
      message: 'pool is closed',
      error: { name: 'TypeError', message: 'pool is closed' },
    });
  });

  it("counts a throwing check as UNKNOWN with onError: 'unknown'", async () => {
    const check = scriptedCheck(new Error('metrics endpoint down'));
    h = await startHealth({ components: [{ name: 'metrics', check: check.fn, onError: 'unknown' }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('metrics')).toMatchObject({ status: UNKNOWN, error: { message: 'metrics endpoint down' } });
  });

  it('fails a hanging check at timeoutMs, aborting its signal with a TimeoutError', async () => {
    const check = scriptedCheck(() => new Promise(() => undefined));
    h = await startHealth({ components: [{ name: 'db', check: check.fn, intervalMs: 1_000, timeoutMs: 2_000 }] });
    await jest.advanceTimersByTimeAsync(1_999);
    expect(h.registry.get('db')?.status).toBe(UNKNOWN);
    expect(check.signals[0]!.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.registry.get('db')).toMatchObject({
      status: UNHEALTHY,
      latencyMs: 2_000,
      message: 'Health check "db" timed out after 2000 ms',
      error: { name: 'TimeoutError' },
    });
    expect(check.signals[0]!.aborted).toBe(true);
    expect((check.signals[0]!.reason as DOMException).name).toBe('TimeoutError');
    expect(h.eventsOf('check_completed')[0]).toMatchObject({ component: 'db', status: UNHEALTHY, timedOut: true, durationMs: 2_000 });
    // The next cycle starts one interval after the timeout, not before.
    expect(check.calls()).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(check.calls()).toBe(2);
  });

  it.each([
    ['true', true, HEALTHY, undefined],
    ['false', false, UNHEALTHY, undefined],
    ['nothing', undefined, HEALTHY, undefined],
    ['a status', DEGRADED, DEGRADED, undefined],
    ['a result', { status: UNHEALTHY, message: 'no leader' }, UNHEALTHY, 'no leader'],
    ['a result with a boolean', { status: true, message: 'ok' }, HEALTHY, 'ok'],
    ['an unsupported value', 42, UNHEALTHY, 'check returned an unsupported value: 42'],
  ])('accepts %s as a check result', async (_label, value, status, message) => {
    const check = scriptedCheck(value);
    h = await startHealth({ components: [{ name: 'c', check: check.fn }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('c')).toMatchObject({ status, message });
  });

  it('keeps result details, redacted', async () => {
    const check = scriptedCheck({ status: true, details: { url: 'redis://:hunter2@cache:6379', password: 'x', lag: 3 } });
    h = await startHealth({ components: [{ name: 'c', check: check.fn }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('c')?.details).toEqual({ url: 'redis://:***@cache:6379', password: '***', lag: 3 });
  });

  it('waits initialDelayMs before the first check and spreads later ones by ±jitter', async () => {
    const original = Math.random;
    let draws: number[] | undefined;
    let drawn = 0;
    // Installed before the module is built (the scheduler keeps the function it was given); armed after bootstrap.
    const random = jest.spyOn(Math, 'random').mockImplementation(() => (draws ? draws[drawn++ % draws.length]! : original()));
    try {
      const starts: number[] = [];
      const check = () => {
        starts.push(Date.now());
        return true;
      };
      const t0 = Date.now();
      h = await startHealth({ components: [{ name: 'c', check, initialDelayMs: 2_500, intervalMs: 1_000, jitter: 0.5 }] });
      draws = [0, 0.999_999, 0.5, 0.25]; // → ×0.5, ×1.5, ×1, ×0.75 of intervalMs
      await jest.advanceTimersByTimeAsync(2_499);
      expect(starts).toEqual([]);
      await jest.advanceTimersByTimeAsync(7_501);
      expect(starts.map((t) => t - t0)).toEqual([2_500, 3_000, 4_500, 5_500, 6_250, 6_750, 8_250, 9_250, 10_000]);
    } finally {
      random.mockRestore();
    }
  });

  it('runNow(name) forces a cycle and resolves with the fresh snapshot; reading health never runs a check', async () => {
    const check = scriptedCheck(true);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, intervalMs: 60_000, failureThreshold: 1 }] });
    await jest.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 50; i++) {
      h.registry.components();
      h.registry.get('db');
      h.registry.system();
      h.registry.probe('readiness');
    }
    expect(check.calls()).toBe(1);
    check.answer(false);
    await expect(h.registry.runNow('db')).resolves.toMatchObject({ name: 'db', status: UNHEALTHY });
    expect(check.calls()).toBe(2);
  });

  it('runNow() checks every component at once', async () => {
    const a = scriptedCheck(true);
    const b = scriptedCheck(false);
    h = await startHealth({
      components: [
        { name: 'a', check: a.fn, initialDelayMs: 60_000 },
        { name: 'b', check: b.fn, initialDelayMs: 60_000 },
      ],
    });
    const snapshots = await h.registry.runNow();
    expect(snapshots.map((s) => [s.name, s.status])).toEqual([
      ['a', HEALTHY],
      ['b', UNHEALTHY],
    ]);
  });

  it('rejects runNow for an unknown component with UnknownHealthComponentError', async () => {
    h = await startHealth({});
    await expect(h.registry.runNow('nope')).rejects.toMatchObject({
      name: 'UnknownHealthComponentError',
      message: 'Health component "nope" is not registered',
    });
  });

  it('keeps the last historySize checks with their times and durations', async () => {
    let n = 0;
    const check = async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return ++n % 2 === 0;
    };
    h = await startHealth({ historySize: 3, components: [{ name: 'c', check, intervalMs: 1_000 }] });
    const t0 = Date.now();
    await jest.advanceTimersByTimeAsync(4_100); // 5 checks
    const { checks } = h.registry.history('c');
    expect(checks.map((c) => [c.at - t0, c.status, c.durationMs])).toEqual([
      [2_030, UNHEALTHY, 10],
      [3_040, HEALTHY, 10],
      [4_050, UNHEALTHY, 10],
    ]);
  });

  it('does not let a slow check delay another component', async () => {
    const hang = deferred<boolean>();
    const fast = scriptedCheck(true);
    h = await startHealth({
      components: [
        { name: 'slow', check: () => hang.promise, timeoutMs: 30_000 },
        { name: 'fast', check: fast.fn, intervalMs: 1_000 },
      ],
    });
    await jest.advanceTimersByTimeAsync(5_000);
    expect(fast.calls()).toBe(6);
    expect(h.registry.get('fast')?.status).toBe(HEALTHY);
    hang.resolve(true);
  });
});

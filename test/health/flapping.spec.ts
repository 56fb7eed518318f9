import { describe, expect, it, jest } from '@jest/globals';
import { InvalidOptionError } from '../../libs/resilience/src/common/invalid-option.error.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type HealthHarness, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;

/** A check that passes, fails, passes, ... */
function flipping() {
  const check = scriptedCheck(true);
  let run = 0;
  check.answer(() => run++ % 2 === 0);
  return check.fn;
}

describe('flap detection', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  const transitions = () => h!.eventsOf('status_change').map((e) => [e.at, e.from, e.to] as const);
  const readiness = () => h!.eventsOf('aggregate_change').filter((e) => e.scope === 'readiness').map((e) => [e.at, e.to] as const);

  it('reports a component whose results change more than maxTransitions times in the window DEGRADED, damping readiness, until stable for the window', async () => {
    // The case: a 1/1-threshold check flipping on every run.
    const check = scriptedCheck(true);
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, intervalMs: 1_000, failureThreshold: 1, flapping: { maxTransitions: 4, windowMs: 10_000 } }],
    });
    await jest.advanceTimersByTimeAsync(0); // t=0 passes
    for (let t = 1; t <= 8; t++) {
      check.answer(t % 2 === 0);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    // Flips at t=1..4 follow the status; the fifth (t=5, a failure) starts flapping: DEGRADED from then on.
    expect(transitions()).toEqual([
      [0, UNKNOWN, HEALTHY],
      [1_000, HEALTHY, UNHEALTHY],
      [2_000, UNHEALTHY, HEALTHY],
      [3_000, HEALTHY, UNHEALTHY],
      [4_000, UNHEALTHY, HEALTHY],
      [5_000, HEALTHY, DEGRADED],
    ]);
    expect(h.eventsOf('status_change').at(-1)!.reason).toBe('flapping: 5 result changes within 10000 ms (more than flapping.maxTransitions 4)');
    expect(h.registry.get('db')).toMatchObject({
      status: DEGRADED,
      since: 5_000,
      lastResult: HEALTHY,
      flapping: { since: 5_000, transitions: 5, windowMs: 10_000, status: HEALTHY },
    });
    // Readiness stops following the flips: DEGRADED (passing) while the component flaps.
    expect(readiness()).toEqual([
      [0, UNHEALTHY], // at bootstrap, before the first result
      [0, HEALTHY],
      [1_000, UNHEALTHY],
      [2_000, HEALTHY],
      [3_000, UNHEALTHY],
      [4_000, HEALTHY],
      [5_000, DEGRADED],
    ]);
    expect(h.logger.messages('warn').filter((l) => l.includes('flapping'))).toHaveLength(1);

    // Stable (passing) from t=8: it leaves flapping at the first result a whole window after the last change.
    check.answer(true);
    await jest.advanceTimersByTimeAsync(9_000); // t=17: last change at t=8, 9 s ago
    expect(h.registry.get('db')).toMatchObject({ status: DEGRADED, flapping: { transitions: 1 } });
    await jest.advanceTimersByTimeAsync(1_000); // t=18
    expect(h.registry.get('db')!.status).toBe(HEALTHY);
    expect(h.registry.get('db')!.flapping).toBeUndefined();
    expect(transitions().slice(6)).toEqual([[18_000, DEGRADED, HEALTHY]]);
    expect(h.eventsOf('status_change').at(-1)!.reason).toBe('no longer flapping: no result change for 10000 ms');
    expect(readiness().slice(7)).toEqual([[18_000, HEALTHY]]);
  });

  it('shows a check that fails 2 runs of every 3, which hysteresis keeps HEALTHY, as flapping with the defaults', async () => {
    const check = scriptedCheck(true);
    let run = 0;
    // Run 0 passes, 1 and 2 fail, 3 passes, 4 and 5 fail, ...: never 3 failures in a row.
    check.answer(() => run++ % 3 === 0);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, intervalMs: 1_000 }] });
    await jest.advanceTimersByTimeAsync(6_000); // runs 0..6: 4 changes
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, lastResult: HEALTHY });
    expect(h.registry.get('db')!.flapping).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1_000); // run 7 fails: the 5th change, more than the default 4 in 20 intervals
    expect(h.registry.get('db')).toMatchObject({ status: DEGRADED, flapping: { since: 7_000, transitions: 5, windowMs: 20_000, status: HEALTHY } });
    expect(transitions().map(([, , to]) => to)).toEqual([HEALTHY, DEGRADED]);
  });

  it('leaves an outage and its recovery, and changes between passing results, alone', async () => {
    const check = scriptedCheck(true);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, intervalMs: 1_000, failureThreshold: 1 }] });
    await jest.advanceTimersByTimeAsync(0);
    for (const answer of [DEGRADED, HEALTHY, DEGRADED, HEALTHY, DEGRADED, HEALTHY]) {
      check.answer(answer);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    for (let outage = 0; outage < 2; outage++) {
      check.answer(false);
      await jest.advanceTimersByTimeAsync(3_000);
      check.answer(true);
      await jest.advanceTimersByTimeAsync(3_000);
    }
    // Two outages: 4 changes, not more than 4.
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY });
    expect(h.registry.get('db')!.flapping).toBeUndefined();
    expect(transitions().map(([, , to]) => to).filter((to) => to === UNHEALTHY)).toHaveLength(2);
  });

  it('keeps acting on the status beneath: a flapping component whose checks then keep failing is healed and reported UNHEALTHY once stable', async () => {
    const check = scriptedCheck(true);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, heal, intervalMs: 1_000, failureThreshold: 1, flapping: { maxTransitions: 2, windowMs: 5_000 } }],
    });
    await jest.advanceTimersByTimeAsync(0);
    for (const answer of [false, true]) {
      check.answer(answer);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    check.answer(false);
    await jest.advanceTimersByTimeAsync(1_000); // third change: flapping; beneath it UNHEALTHY
    expect(h.registry.get('db')).toMatchObject({ status: DEGRADED, flapping: { status: UNHEALTHY } });
    const healsBefore = heal.mock.calls.length;
    // Heals (and their verifying checks) go on beneath; once no result changed for 5 s it is reported as it is.
    await jest.advanceTimersByTimeAsync(7_000);
    expect(heal.mock.calls.length).toBeGreaterThan(healsBefore);
    expect(h.registry.get('db')).toMatchObject({ status: UNHEALTHY });
    expect(h.registry.get('db')!.flapping).toBeUndefined();
    expect(h.eventsOf('status_change').at(-1)).toMatchObject({ from: DEGRADED, to: UNHEALTHY, reason: 'no longer flapping: no result change for 5000 ms' });
  });

  it("with status: 'unhealthy', holds a flapping component failing (readiness NOT_SERVING) until it is stable", async () => {
    const check = scriptedCheck(true);
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, intervalMs: 1_000, failureThreshold: 1, flapping: { maxTransitions: 2, windowMs: 5_000, status: 'unhealthy' } }],
    });
    await jest.advanceTimersByTimeAsync(0);
    for (const answer of [false, true, false, true, true, true]) {
      check.answer(answer);
      await jest.advanceTimersByTimeAsync(1_000);
    }
    // The third change (t=3, a failure) starts flapping; the pass at t=4 is not reported.
    expect(h.registry.get('db')).toMatchObject({ status: UNHEALTHY, flapping: { since: 3_000, status: HEALTHY } });
    expect(h.registry.status('readiness')).toBe(UNHEALTHY);
    await jest.advanceTimersByTimeAsync(3_000); // t=9: the last change (t=4) 5 s ago
    expect(h.registry.get('db')!.status).toBe(HEALTHY);
    expect(transitions().slice(-2)).toEqual([
      [3_000, HEALTHY, UNHEALTHY],
      [9_000, UNHEALTHY, HEALTHY],
    ]);
  });

  it('is off with flapping: false, per component or module-wide through defaults', async () => {
    h = await startHealth({
      defaults: { flapping: false, intervalMs: 1_000, failureThreshold: 1 },
      components: [
        { name: 'off', check: flipping() },
        { name: 'on', check: flipping(), flapping: { maxTransitions: 2 } },
      ],
    });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.registry.get('off')!.flapping).toBeUndefined();
    expect(h.registry.get('on')).toMatchObject({ status: DEGRADED, flapping: { windowMs: 20_000 } });
  });

  it.each([
    [{ flapping: { maxTransitions: 0 } }, 'option "flapping.maxTransitions" must be an integer ≥ 1, got 0'],
    [{ flapping: { maxTransitions: 2.5 } }, 'option "flapping.maxTransitions" must be an integer ≥ 1, got 2.5'],
    [{ flapping: { windowMs: 0 } }, 'option "flapping.windowMs" must be an integer number of milliseconds in [1, 2147483647], got 0'],
    [{ flapping: true }, 'option "flapping" must be an object of FlappingOptions or false, got true'],
    [{ flapping: { status: 'down' } }, 'option "flapping.status" must be one of "degraded", "unhealthy", got "down"'],
  ])('rejects %j naming the option and the value', async (options, message) => {
    const error = await startHealth({ components: [{ name: 'db', check: () => true, ...(options as object) }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(`Health component "db": ${message}`);
  });
});

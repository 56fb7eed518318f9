import { describe, expect, it, jest } from '@jest/globals';
import type { HealContext } from '../../libs/resilience/src/health/health-component.options.js';
import { HealState } from '../../libs/resilience/src/health/health.snapshot.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { deferred, type HealthHarness, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';

const { HEALTHY, DEGRADED, UNHEALTHY } = HealthStatus;
const noJitter = { jitter: 0 };

describe('auto-healing', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  const attempts = () => h!.eventsOf('heal_attempt').filter((e) => e.result !== 'skipped');

  it('runs exactly one heal for 100 concurrent triggers, and every trigger gets its outcome', async () => {
    const check = scriptedCheck(false);
    const done = deferred();
    const heal = jest.fn(() => done.promise);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1 }] });
    await jest.advanceTimersByTimeAsync(0); // first check: UNHEALTHY, the automatic heal starts
    const triggers = Array.from({ length: 100 }, () => h!.registry.heal('db'));
    await jest.advanceTimersByTimeAsync(0);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(h.registry.get('db')?.heal?.state).toBe(HealState.HEALING);
    check.answer(true);
    done.resolve();
    const outcomes = await Promise.all(triggers);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o)))).toEqual(
      new Set([JSON.stringify({ result: 'success', attempt: 1, verified: true })]),
    );
  });

  // The original system logged a throwing check but never healed it; here a throw is a failed check like any other.
  it('heals a component whose check throws', async () => {
    const check = scriptedCheck(new Error('connect ECONNREFUSED 10.0.0.5:5432'));
    const heal = jest.fn(() => check.answer(true));
    h = await startHealth({ components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1 }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(h.registry.history('db').checks.map((c) => [c.status, c.message])).toEqual([
      [UNHEALTHY, 'connect ECONNREFUSED 10.0.0.5:5432'],
      [HEALTHY, undefined],
    ]);
    expect(attempts()).toMatchObject([{ result: 'success', verified: true }]);
  });

  it('heals a component whose check times out', async () => {
    const check = scriptedCheck(() => new Promise(() => undefined));
    const heal = jest.fn(() => check.answer(true));
    h = await startHealth({ components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, timeoutMs: 1_000 }] });
    await jest.advanceTimersByTimeAsync(999);
    expect(heal).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, heal: { lastResult: 'success' } });
    expect(h.registry.history('db').checks.map((c) => [c.at, c.timedOut])).toEqual([
      [1_000, true],
      [1_000, false],
    ]);
  });

  it('re-runs the check right after a heal to verify it, without waiting for the next interval', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => check.answer(true));
    h = await startHealth({ components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, intervalMs: 60_000 }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(check.calls()).toBe(2);
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE, lastResult: 'success' } });
    expect(attempts()[0]).toMatchObject({ component: 'db', attempt: 1, result: 'success', verified: true, startedAt: 0 });
  });

  it('counts a heal whose verification check still fails as a failure', async () => {
    const check = scriptedCheck(false);
    h = await startHealth({ components: [{ name: 'db', check: check.fn, heal: () => undefined, failureThreshold: 1 }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(attempts()[0]).toMatchObject({ result: 'failure', verified: false, message: 'verification check reported UNHEALTHY' });
  });

  /** A component whose heal cannot work until the dependency is back (a pool rebuilt while the database is down). */
  async function waitingHeal(healing: object = {}) {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [
        {
          name: 'db',
          check: check.fn,
          heal,
          failureThreshold: 1,
          intervalMs: 1_000,
          healing: { verifyWindowMs: 10_000, backoff: { minMs: 500, factor: 1, ...noJitter }, ...healing },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(0); // UNHEALTHY, healed, the re-check fails: the window opens
    return { check, heal };
  }

  describe('verification window (healing.verifyWindowMs)', () => {
    it('counts a heal whose re-check failed as a success when a check passes within the window', async () => {
      const { check, heal } = await waitingHeal();
      expect(h!.registry.get('db')?.heal).toMatchObject({ state: HealState.HEALING, attempts: 1 });
      expect(attempts()).toEqual([]);
      // The dependency comes back at 3.5 s; the next scheduled check (4 s) sees it and verifies the heal.
      await jest.advanceTimersByTimeAsync(3_500);
      check.answer(true);
      await jest.advanceTimersByTimeAsync(500);
      expect(attempts()).toMatchObject([{ attempt: 1, result: 'success', verified: true, startedAt: 0, at: 4_000 }]);
      expect(h!.registry.get('db')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE, lastResult: 'success' } });
      // Failed checks during the window joined the attempt: one heal, no second attempt.
      expect(heal).toHaveBeenCalledTimes(1);
      expect(h!.scheduler.getTimeouts().filter((name) => name.endsWith(':heal-verify'))).toEqual([]);
    });

    it('counts it as a failure once the window ends without a passing check, then backs off', async () => {
      const { heal } = await waitingHeal();
      await jest.advanceTimersByTimeAsync(9_999);
      expect(attempts()).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(attempts()).toMatchObject([
        {
          attempt: 1,
          result: 'failure',
          verified: false,
          at: 10_000,
          message: 'no passing check within 10000 ms (verifyWindowMs) of the heal; the last reported UNHEALTHY',
        },
      ]);
      expect(h!.registry.get('db')?.heal).toMatchObject({ state: HealState.BACKOFF, nextAttemptAt: 10_500 });
      await jest.advanceTimersByTimeAsync(500);
      expect(heal).toHaveBeenCalledTimes(2);
    });

    it('gives up only after maxAttempts windows have passed without the component answering', async () => {
      await waitingHeal({ maxAttempts: 2 });
      await jest.advanceTimersByTimeAsync(20_499);
      expect(h!.eventsOf('gave_up')).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(h!.eventsOf('gave_up')).toMatchObject([{ attempts: 2, at: 20_500 }]);
      expect(attempts().map((a) => [a.attempt, a.result, a.at])).toEqual([
        [1, 'failure', 10_000],
        [2, 'failure', 20_500],
      ]);
      h!.logger.takeErrors();
    });

    it('ends the window when the app shuts down, leaving no timer', async () => {
      await waitingHeal();
      const outcome = h!.registry.heal('db');
      await h!.close();
      await expect(outcome).resolves.toMatchObject({ result: 'failure', verified: false });
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  it('aborts a heal at its timeout with a TimeoutError and reports it as timeout', async () => {
    const check = scriptedCheck(false);
    const signals: AbortSignal[] = [];
    const heal = ({ signal }: HealContext) => {
      signals.push(signal);
      return new Promise(() => undefined);
    };
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, healing: { timeoutMs: 2_000 } }],
    });
    await jest.advanceTimersByTimeAsync(1_999);
    expect(signals[0]!.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(signals[0]!.aborted).toBe(true);
    expect((signals[0]!.reason as DOMException).name).toBe('TimeoutError');
    expect(attempts()[0]).toMatchObject({ result: 'timeout', durationMs: 2_000, message: 'Heal of "db" timed out after 2000 ms' });
  });

  it('backs off exponentially between attempts: min · factor^(n−1), capped at max (jitter 0)', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [
        {
          name: 'db',
          check: check.fn,
          heal,
          failureThreshold: 1,
          intervalMs: 500,
          healing: { backoff: { minMs: 1_000, factor: 2, maxMs: 8_000, ...noJitter }, maxAttempts: 100, windowMs: 3_600_000 },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(40_000);
    expect(attempts().map((e) => e.startedAt)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 23_000, 31_000, 39_000]);
    expect(attempts().map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(heal).toHaveBeenCalledTimes(8);
    expect(h.registry.get('db')?.heal).toMatchObject({ state: HealState.BACKOFF, attempts: 8, nextAttemptAt: 47_000 });
  });

  it('spreads each backoff delay by ±jitter: the exact schedule for given random draws', async () => {
    const original = Math.random;
    let draws: number[] | undefined;
    let drawn = 0;
    // Installed before the module is built (the healer keeps the function it was given); armed after bootstrap.
    const random = jest.spyOn(Math, 'random').mockImplementation(() => (draws ? draws[drawn++ % draws.length]! : original()));
    try {
      const check = scriptedCheck(false);
      h = await startHealth({
        components: [
          {
            name: 'db',
            check: check.fn,
            heal: () => undefined,
            failureThreshold: 1,
            intervalMs: 60_000,
            healing: { backoff: { minMs: 1_000, factor: 2, maxMs: 8_000, jitter: 0.5 }, maxAttempts: 100, windowMs: 3_600_000 },
          },
        ],
      });
      draws = [0, 0.75, 0.5, 0.25]; // → ×0.5, ×1.25, ×1, ×0.75 of the base delay
      await jest.advanceTimersByTimeAsync(30_000);
      // base delays 1000, 2000, 4000, 8000, 8000 (capped), 8000 → 500, 2500, 4000, 6000, 4000, 10000
      expect(attempts().map((e) => e.startedAt)).toEqual([0, 500, 3_000, 7_000, 13_000, 17_000, 27_000]);
    } finally {
      random.mockRestore();
    }
  });

  it('counts only the attempts inside windowMs towards maxAttempts', async () => {
    let t0 = 0;
    const start = async (windowMs: number) => {
      t0 = Date.now();
      const check = scriptedCheck(false);
      const heal = jest.fn(() => undefined);
      h = await startHealth({
        components: [
          {
            name: 'db',
            check: check.fn,
            heal,
            failureThreshold: 1,
            intervalMs: 60_000,
            healing: { backoff: { minMs: 6_000, factor: 1, ...noJitter }, maxAttempts: 2, windowMs },
          },
        ],
      });
      await jest.advanceTimersByTimeAsync(60_000);
      return heal.mock.calls.length;
    };
    // Attempts 6 s apart: a 5 s window never holds two of them, so healing goes on.
    expect(await start(5_000)).toBe(11);
    expect(h!.eventsOf('gave_up')).toEqual([]);
    await h!.close();
    // A 7 s window holds attempts 1 and 2: given up after the second.
    expect(await start(7_000)).toBe(2);
    expect(h!.eventsOf('gave_up')).toMatchObject([{ attempts: 2, at: t0 + 6_000 }]);
    expect(h!.logger.takeErrors()).toEqual([
      '[HealthRegistry] Health component "db": gave up healing after 2 attempts within 7000 ms',
      '[HealthRegistry] Health component "db": escalated to readiness',
    ]);
  });

  it('gives up after maxAttempts within windowMs, then escalates: readiness off at once, liveness off after livenessAfterMs', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [
        {
          name: 'queue',
          type: 'queue',
          critical: false,
          check: check.fn,
          heal,
          failureThreshold: 1,
          intervalMs: 1_000,
          healing: {
            backoff: { minMs: 1_000, factor: 1, ...noJitter },
            maxAttempts: 3,
            windowMs: 60_000,
            escalation: { readiness: true, livenessAfterMs: 5_000 },
          },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(1_999);
    // A non-critical failing component only degrades readiness.
    expect(h.registry.status('readiness')).toBe(DEGRADED);
    await jest.advanceTimersByTimeAsync(1); // third attempt at t=2000 fails → GAVE_UP
    expect(heal).toHaveBeenCalledTimes(3);
    expect(h.eventsOf('gave_up')).toEqual([{ type: 'gave_up', component: 'queue', attempts: 3, at: 2_000 }]);
    expect(h.registry.get('queue')).toMatchObject({ heal: { state: HealState.GAVE_UP, gaveUpAt: 2_000 }, escalation: 'readiness' });
    expect(h.registry.status('readiness')).toBe(UNHEALTHY);
    expect(h.registry.probe('readiness').components.map((c) => c.name)).toEqual(['queue']);
    expect(h.registry.status('liveness')).toBe(HEALTHY);
    expect(h.logger.takeErrors()).toEqual([
      '[HealthRegistry] Health component "queue": gave up healing after 3 attempts within 60000 ms',
      '[HealthRegistry] Health component "queue": escalated to readiness',
    ]);
    await jest.advanceTimersByTimeAsync(4_999);
    expect(h.registry.status('liveness')).toBe(HEALTHY);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.registry.status('liveness')).toBe(UNHEALTHY);
    expect(h.registry.probe('liveness').components.map((c) => c.name)).toEqual(['queue']);
    expect(h.logger.takeErrors()).toEqual(['[HealthRegistry] Health component "queue": escalated to liveness']);
    await jest.advanceTimersByTimeAsync(120_000); // no automatic heal once given up, even after the window
    expect(heal).toHaveBeenCalledTimes(3);
    expect(h.eventsOf('gave_up')).toHaveLength(1);
    expect(h.logger.takeErrors()).toEqual([]); // given up and escalated once, not on every failing check

    // Recovering lifts GAVE_UP and the escalation.
    check.answer(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(h.registry.get('queue')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE }, escalation: 'none' });
    expect(h.registry.status('readiness')).toBe(HEALTHY);
    expect(h.registry.status('liveness')).toBe(HEALTHY);
    expect(h.eventsOf('escalation').map((e) => [e.at, e.level])).toEqual([
      [2_000, 'readiness'],
      [7_000, 'liveness'],
      [128_000, 'none'],
    ]);
  });

  it('lets an operator reset a given-up component, which is healed again at once', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn<() => void>(() => undefined);
    h = await startHealth({
      components: [
        { name: 'db', check: check.fn, heal, failureThreshold: 1, healing: { maxAttempts: 1, escalation: { readiness: false } } },
      ],
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('db')).toMatchObject({ heal: { state: HealState.GAVE_UP }, escalation: 'none' });
    expect(h.logger.takeErrors()).toEqual(['[HealthRegistry] Health component "db": gave up healing after 1 attempt within 300000 ms']);
    heal.mockImplementation(() => check.answer(true));
    h.registry.resetHeal('db');
    await jest.advanceTimersByTimeAsync(0);
    expect(heal).toHaveBeenCalledTimes(2);
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE, attempts: 1 } });
    expect(h.eventsOf('heal_reset')).toMatchObject([{ component: 'db', reason: 'operator' }]);
  });

  /** Fails; attempt 1 fails, attempt 2 (t=1000) fixes it. */
  async function healedOnSecondAttempt() {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => {
      if (heal.mock.calls.length === 2) check.answer(true);
    });
    h = await startHealth({
      components: [
        {
          name: 'db',
          check: check.fn,
          heal,
          failureThreshold: 1,
          intervalMs: 1_000,
          healing: { backoff: { minMs: 1_000, factor: 4, ...noJitter }, stableForMs: 10_000, maxAttempts: 10 },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(1_000);
    expect(h.registry.get('db')).toMatchObject({ status: HEALTHY, heal: { attempts: 2 } });
    return check;
  }

  describe('backoff reset', () => {
    it('resets the backoff once the component stayed healthy for stableForMs', async () => {
      const check = await healedOnSecondAttempt();
      await jest.advanceTimersByTimeAsync(9_999);
      expect(h!.registry.get('db')?.heal?.attempts).toBe(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(h!.registry.get('db')?.heal?.attempts).toBe(0);
      expect(h!.eventsOf('heal_reset')).toEqual([{ type: 'heal_reset', component: 'db', reason: 'stable', at: 11_000 }]);
      check.answer(false);
      await jest.advanceTimersByTimeAsync(2_000); // fails at t=12000: attempt 1, then 1000 ms later attempt 2
      expect(attempts().slice(2).map((e) => [e.startedAt, e.attempt])).toEqual([
        [12_000, 1],
        [13_000, 2],
      ]);
    });

    it('continues the backoff when the component relapses before stableForMs', async () => {
      const check = await healedOnSecondAttempt();
      check.answer(false);
      await jest.advanceTimersByTimeAsync(20_000); // fails at t=2000
      expect(h!.eventsOf('heal_reset')).toEqual([]);
      // Attempt 2 ended at t=1000 with a 4000 ms delay (factor 4); attempt 3 fails, attempt 4 waits 16000 ms.
      expect(attempts().slice(2).map((e) => [e.startedAt, e.attempt])).toEqual([
        [5_000, 3],
        [21_000, 4],
      ]);
    });
  });

  it('heals a dependency first and never heals a dependent while its dependency fails', async () => {
    const db = scriptedCheck(false);
    const repo = scriptedCheck(false);
    const order: string[] = [];
    const dbStatusWhenRepoHealed: (string | undefined)[] = [];
    h = await startHealth({
      components: [
        {
          name: 'repo',
          dependsOn: ['db'],
          check: repo.fn,
          failureThreshold: 1,
          heal: () => {
            order.push('repo');
            dbStatusWhenRepoHealed.push(h!.registry.get('db')?.status);
            repo.answer(true);
          },
        },
        {
          name: 'db',
          check: db.fn,
          failureThreshold: 1,
          heal: () => {
            order.push('db');
            db.answer(true);
          },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['db', 'repo']);
    expect(dbStatusWhenRepoHealed).toEqual([HEALTHY]);
    expect(h.registry.components().map((c) => c.status)).toEqual([HEALTHY, HEALTHY]);
    expect(h.eventsOf('heal_attempt').find((e) => e.component === 'repo')).toMatchObject({
      result: 'skipped',
      // repo is checked first, while db is still UNKNOWN: unknown counts as failing too.
      message: expect.stringMatching(/^dependency "db" is (UNKNOWN|UNHEALTHY)$/),
    });
  });

  it('does not heal a dependent while a dependency without a heal stays UNHEALTHY', async () => {
    const db = scriptedCheck(false);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [
        { name: 'db', check: db.fn, failureThreshold: 1, intervalMs: 1_000 },
        { name: 'repo', dependsOn: ['db'], check: scriptedCheck(false).fn, heal, failureThreshold: 1, intervalMs: 1_000 },
      ],
    });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(heal).not.toHaveBeenCalled();
    db.answer(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(heal).toHaveBeenCalledTimes(1);
  });

  it('does not heal during the startup grace period', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      startupGraceMs: 10_000,
      components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, intervalMs: 1_000 }],
    });
    await jest.advanceTimersByTimeAsync(9_999);
    expect(heal).not.toHaveBeenCalled();
    expect(h.eventsOf('heal_attempt')).toEqual([
      expect.objectContaining({ result: 'skipped', message: 'startup grace period', at: 0 }),
    ]);
    await jest.advanceTimersByTimeAsync(1);
    expect(heal).toHaveBeenCalledTimes(1);
  });

  it('heals when the startup grace period ends, without waiting for the next check', async () => {
    const check = scriptedCheck(false);
    const heal = jest.fn(() => check.answer(true));
    h = await startHealth({
      startupGraceMs: 10_000,
      components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, intervalMs: 60_000 }],
    });
    await jest.advanceTimersByTimeAsync(9_999);
    expect([heal.mock.calls.length, check.calls()]).toEqual([0, 1]);
    await jest.advanceTimersByTimeAsync(1);
    expect(heal).toHaveBeenCalledTimes(1);
    expect(attempts()).toMatchObject([{ startedAt: 10_000, result: 'success', verified: true }]);
    expect(check.calls()).toBe(2); // the verification check, not a scheduled one
  });

  it('stops healing when shutdown begins: the running heal is aborted and no backoff fires', async () => {
    const check = scriptedCheck(false);
    const signals: AbortSignal[] = [];
    const heal = jest.fn(({ signal }: HealContext) => {
      signals.push(signal);
      return new Promise(() => undefined);
    });
    h = await startHealth({
      components: [{ name: 'db', check: check.fn, heal, failureThreshold: 1, healing: { backoff: { minMs: 1_000, ...noJitter } } }],
    });
    await jest.advanceTimersByTimeAsync(0);
    expect(heal).toHaveBeenCalledTimes(1);
    h.registry.beginShutdown('SIGTERM');
    expect(signals[0]!.aborted).toBe(true);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(heal).toHaveBeenCalledTimes(1);
    await expect(h.registry.heal('db')).resolves.toMatchObject({ result: 'skipped', message: 'shutting down' });
  });

  it('runs at most maxConcurrentHeals heals at once; the others wait QUEUED', async () => {
    const heals: Record<string, ReturnType<typeof deferred<void>>> = {};
    let running = 0;
    let maxRunning = 0;
    const component = (name: string) => {
      const check = scriptedCheck(false);
      return {
        name,
        check: check.fn,
        failureThreshold: 1,
        heal: async () => {
          maxRunning = Math.max(maxRunning, ++running);
          heals[name] = deferred();
          await heals[name]!.promise;
          running--;
          check.answer(true);
        },
      };
    };
    h = await startHealth({ maxConcurrentHeals: 1, components: [component('a'), component('b')] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('a')?.heal?.state).toBe(HealState.HEALING);
    expect(h.registry.get('b')?.heal?.state).toBe(HealState.QUEUED);
    heals.a!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.get('b')?.heal?.state).toBe(HealState.HEALING);
    heals.b!.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(maxRunning).toBe(1);
    expect(h.registry.components().map((c) => c.status)).toEqual([HEALTHY, HEALTHY]);
  });

  it('heals a component whose check stopped answering (stale → UNHEALTHY)', async () => {
    let calls = 0;
    const heal = jest.fn(() => undefined);
    h = await startHealth({
      components: [
        {
          name: 'db',
          check: () => (++calls === 1 ? true : new Promise<boolean>(() => undefined)),
          heal,
          intervalMs: 1_000,
          timeoutMs: 60_000,
          maxResultAgeMs: 3_000,
          failureThreshold: 2,
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(5_999);
    expect(heal).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(h.registry.get('db')?.status).toBe(UNHEALTHY);
    expect(heal).toHaveBeenCalledTimes(1);
  });

  it('keeps the last historySize heal attempts', async () => {
    const check = scriptedCheck(false);
    h = await startHealth({
      historySize: 2,
      components: [
        {
          name: 'db',
          check: check.fn,
          heal: () => undefined,
          failureThreshold: 1,
          healing: { backoff: { minMs: 1_000, factor: 1, ...noJitter }, maxAttempts: 10 },
        },
      ],
    });
    await jest.advanceTimersByTimeAsync(3_000);
    expect(h.registry.history('db').heals).toEqual([
      { startedAt: 2_000, attempt: 3, result: 'failure', durationMs: 0, verified: false, message: 'verification check reported UNHEALTHY' },
      { startedAt: 3_000, attempt: 4, result: 'failure', durationMs: 0, verified: false, message: 'verification check reported UNHEALTHY' },
    ]);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BreakerRegistry } from '../../libs/resilience/src/breaker/breaker.registry.js';
import type { CircuitBreakerPolicy } from '../../libs/resilience/src/breaker/circuit-breaker.policy.js';
import { CircuitState } from '../../libs/resilience/src/breaker/circuit-state.js';
import type { HealthComponentDefinition } from '../../libs/resilience/src/health/health-component.options.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { ResilienceModule } from '../../libs/resilience/src/resilience.module.js';
import { ScenarioClock } from '../scenarios/support/scenario-clock.js';
import { deferred, type HealthHarness, scriptedCheck, startHealth } from './support/harness.js';

const { HEALTHY, UNHEALTHY, DEGRADED } = HealthStatus;
const INTERVAL_MS = 1_000;
/** Long enough that only the link can end an open period within a test. */
const OPEN_MS = 60_000;

const down = new Error('ECONNREFUSED');
const fail = (breaker: CircuitBreakerPolicy) => breaker.execute(() => Promise.reject(down)).catch(() => undefined);
const succeed = (breaker: CircuitBreakerPolicy) => breaker.execute(() => Promise.resolve('ok'));

/** Creates the breaker `db` before bootstrap, as a provider of a real app would. */
@Injectable()
class DatabaseClient {
  readonly breaker: CircuitBreakerPolicy;
  constructor(breakers: BreakerRegistry) {
    this.breaker = breakers.getOrCreate('db');
  }
}

describe('components linked to the breakers that guard them (guards)', () => {
  let h: HealthHarness | undefined;
  let clock: ScenarioClock;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** A `db` component guarded by breaker `db` (trips after 2 failures in a row, stays open 60 s), on a FakeClock. */
  async function start(component: Partial<HealthComponentDefinition> = {}, window = { kind: 'consecutive' as const, failures: 2 }) {
    clock = new ScenarioClock(0);
    const check = scriptedCheck(true);
    h = await startHealth(
      {
        clock,
        breakers: { enabled: false },
        components: [{ name: 'db', check: check.fn, guards: ['db'], intervalMs: INTERVAL_MS, failureThreshold: 3, ...component }],
      },
      {
        imports: [ResilienceModule.forRoot({ clock, defaults: { window, openDurationMs: OPEN_MS } })],
        providers: [DatabaseClient],
      },
    );
    await clock.advanceAsync(0); // the first check: HEALTHY
    const breaker = h.module.get(DatabaseClient).breaker;
    return { check, breaker, registry: h.registry };
  }

  const statusChanges = () => h!.eventsOf('status_change').map((e) => [e.at, e.from, e.to, e.reason]);
  const readiness = () => h!.eventsOf('aggregate_change').filter((e) => e.scope === 'readiness').map((e) => [e.at, e.to]);

  it('a guard that trips turns the component UNHEALTHY at once, and the component is checked right away', async () => {
    const { check, breaker, registry } = await start();
    check.answer(false);
    await clock.advanceAsync(300);
    const checksBefore = check.calls();
    await fail(breaker);
    await fail(breaker);
    expect(breaker.state).toBe(CircuitState.OPEN);
    // At the trip's clock time: the status change and readiness, without waiting for a check.
    expect(statusChanges().at(-1)).toEqual([300, HEALTHY, UNHEALTHY, 'breaker "db" opened: 2 consecutive failures']);
    expect(readiness().at(-1)).toEqual([300, UNHEALTHY]);
    expect(registry.get('db')).toMatchObject({ status: UNHEALTHY, blockedBy: 'db', guards: ['db'] });
    // The early check has run (before the 1 s interval is up) and confirmed the failure.
    await clock.advanceAsync(0);
    expect(check.calls()).toBe(checksBefore + 1);
    expect(registry.history('db').checks.at(-1)).toMatchObject({ at: 300, status: UNHEALTHY });
  });

  it("a passing check half-opens an OPEN guard at once, so the next call probes and closes it within one check interval of the dependency's return", async () => {
    const { check, breaker, registry } = await start();
    check.answer(false);
    await fail(breaker);
    await fail(breaker);
    await clock.advanceAsync(0); // the early check fails
    await clock.advanceAsync(5_000); // five more failed checks; the breaker has 55 s of its open period left
    expect(breaker.state).toBe(CircuitState.OPEN);
    const events: string[] = [];
    breaker.stateChanges$.subscribe((e) => events.push(`${e.at} ${e.from}→${e.to}: ${e.reason}`));

    const backAt = clock.now();
    check.answer(true);
    await clock.advanceAsync(INTERVAL_MS);
    expect(events).toEqual([`${backAt + INTERVAL_MS} OPEN→HALF_OPEN: health check of "db" passed`]);
    expect(registry.get('db')).toMatchObject({ status: HEALTHY });
    expect(registry.get('db')!.blockedBy).toBeUndefined();
    expect(registry.status('readiness')).toBe(HEALTHY);
    await expect(succeed(breaker)).resolves.toBe('ok');
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(clock.now() - backAt).toBeLessThanOrEqual(INTERVAL_MS);
  });

  it('a probe that fails re-opens the guard; that trip waits for the next scheduled check, which half-opens it again', async () => {
    const { check, breaker, registry } = await start();
    await fail(breaker);
    await fail(breaker);
    // The early check passes (the dependency answers its check): the guard half-opens at once.
    await clock.advanceAsync(0);
    expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    const checks = check.calls();
    await fail(breaker); // the probe fails: OPEN again (from HALF_OPEN)
    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(registry.get('db')!.status).toBe(UNHEALTHY);
    await clock.advanceAsync(INTERVAL_MS - 1);
    expect(check.calls()).toBe(checks); // no early check this time: a check and the calls disagree
    await clock.advanceAsync(1);
    expect(check.calls()).toBe(checks + 1);
    expect(breaker.state).toBe(CircuitState.HALF_OPEN);
  });

  it('counts failed calls through a guard as failed results: 3 in a row turn it UNHEALTHY before any check fails', async () => {
    // A window that does not trip on these few calls: only the failures themselves feed the component.
    const { check, breaker, registry } = await start({}, { kind: 'consecutive', failures: 100 });
    await clock.advanceAsync(200);
    await fail(breaker);
    await fail(breaker);
    expect(registry.get('db')).toMatchObject({ status: HEALTHY, consecutiveFailures: 2 });
    await fail(breaker);
    expect(registry.get('db')!.status).toBe(UNHEALTHY);
    expect(statusChanges().at(-1)).toEqual([
      200,
      HEALTHY,
      UNHEALTHY,
      '3 failed results in a row, the last a call through breaker "db": ECONNREFUSED',
    ]);
    expect(check.calls()).toBe(1);
    // A passing check ends it (successThreshold 1).
    await clock.advanceAsync(INTERVAL_MS);
    expect(registry.get('db')!.status).toBe(HEALTHY);
  });

  it('ends a run of failed results at a successful call through a guard, and at a passing check', async () => {
    const { check, breaker, registry } = await start({}, { kind: 'consecutive', failures: 100 });
    await fail(breaker);
    await fail(breaker);
    await succeed(breaker);
    await fail(breaker);
    expect(registry.get('db')).toMatchObject({ status: HEALTHY, consecutiveFailures: 1 });
    // The same after a failed check: the success between it and the call failures ends its run.
    check.answer(false);
    await clock.advanceAsync(INTERVAL_MS);
    expect(registry.get('db')).toMatchObject({ status: HEALTHY, consecutiveFailures: 2 });
    await succeed(breaker);
    await fail(breaker);
    await fail(breaker);
    expect(registry.get('db')).toMatchObject({ status: HEALTHY, consecutiveFailures: 2 });
  });

  it('leaves a guard OPEN when the passing check started before it opened; the check its trip scheduled decides', async () => {
    const { check, breaker, registry } = await start();
    const slow = deferred<boolean>();
    check.answer(() => slow.promise);
    await clock.advanceAsync(INTERVAL_MS); // a check starts and hangs
    await fail(breaker);
    await fail(breaker);
    expect(registry.get('db')!.status).toBe(UNHEALTHY);
    check.answer(false);
    slow.resolve(true); // the old check passes: it saw the dependency before the trip
    await clock.advanceAsync(0);
    expect(breaker.state).toBe(CircuitState.OPEN);
    // Its pass is older than the trip: recorded, but it moves neither the status nor the guard.
    expect(registry.get('db')).toMatchObject({ status: UNHEALTHY, blockedBy: 'db' });
    expect(registry.status('readiness')).toBe(UNHEALTHY);
    expect(registry.history('db').checks.map((c) => c.status)).toEqual([HEALTHY, HEALTHY, UNHEALTHY]);
  });

  it('keeps readiness down while a guard is FORCED_OPEN, though the component is HEALTHY; a passing check leaves the hold alone', async () => {
    const { breaker, registry } = await start();
    const breakers = h!.module.get(BreakerRegistry);
    breakers.forceOpen('db', 'maintenance');
    expect(registry.get('db')).toMatchObject({ status: HEALTHY, blockedBy: 'db' });
    expect(registry.status('readiness')).toBe(UNHEALTHY);
    expect(registry.status('liveness')).toBe(HEALTHY);
    expect(h!.logger.messages('warn')).toContain(
      'Health component "db": breaker "db" rejects every call; the component counts as failing until it admits calls again',
    );
    await clock.advanceAsync(3 * INTERVAL_MS);
    expect(breaker.state).toBe(CircuitState.FORCED_OPEN);
    expect(registry.status('readiness')).toBe(UNHEALTHY);
    breakers.reset('db', 'maintenance over');
    expect(registry.get('db')!.blockedBy).toBeUndefined();
    expect(registry.status('readiness')).toBe(HEALTHY);
    // Bootstrap (UNHEALTHY until the first check, then HEALTHY), the hold, its end.
    expect(readiness()).toEqual([
      [0, UNHEALTHY],
      [0, HEALTHY],
      [0, UNHEALTHY],
      [3 * INTERVAL_MS, HEALTHY],
    ]);
  });

  it('degrades (not fails) the groups of a non-critical component whose guard rejects every call', async () => {
    const { registry } = await start({ critical: false });
    h!.module.get(BreakerRegistry).forceOpen('db', 'maintenance');
    expect(registry.status('readiness')).toBe(DEGRADED);
  });

  it('starts blocked when a guard is already OPEN at bootstrap (restored state)', async () => {
    clock = new ScenarioClock(0);
    h = await startHealth(
      { clock, breakers: { enabled: false }, components: [{ name: 'db', check: () => false, guards: ['db'] }] },
      {
        imports: [
          ResilienceModule.forRoot({
            clock,
            initialStates: [
              {
                name: 'db',
                state: CircuitState.OPEN,
                stateSince: 0,
                openUntil: OPEN_MS,
                consecutiveTrips: 1,
                transitions: 1,
                calls: { successful: 0, failed: 5, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 },
              },
            ],
          }),
        ],
        providers: [DatabaseClient],
      },
    );
    expect(h.registry.get('db')!.blockedBy).toBe('db');
    expect(h.registry.status('readiness')).toBe(UNHEALTHY);
  });

  it('rejects a guard that is not a breaker of BreakerRegistry, or guards without ResilienceModule, naming the option', async () => {
    clock = new ScenarioClock(0);
    await expect(
      startHealth(
        { clock, components: [{ name: 'db', check: () => true, guards: ['db', 'dbb'] }] },
        { imports: [ResilienceModule.forRoot({ clock })], providers: [DatabaseClient] },
      ),
    ).rejects.toThrow('Health component "db": option "guards" must name circuit breakers of BreakerRegistry, but "dbb" is not registered, got ["db","dbb"]');
    await expect(startHealth({ clock, components: [{ name: 'db', check: () => true, guards: ['db'] }] })).rejects.toThrow(
      'Health component "db": option "guards" must name circuit breakers of BreakerRegistry, but there is none (import ResilienceModule)',
    );
    await expect(startHealth({ clock, components: [{ name: 'db', check: () => true, guards: 'db' as never }] })).rejects.toThrow(
      'Health component "db": option "guards" must be an array of non-empty strings',
    );
  });

  it('checks the guards of a component registered at run time at once; unregistering stops following them', async () => {
    const { breaker, registry } = await start();
    expect(() => registry.register({ name: 'cache', check: () => true, guards: ['nope'] })).toThrow(
      'option "guards" must name circuit breakers of BreakerRegistry, but "nope" is not registered',
    );
    expect(registry.get('cache')).toBeUndefined();
    registry.register({ name: 'replica', check: () => true, guards: ['db'], critical: false });
    registry.unregister('replica');
    await fail(breaker);
    await fail(breaker);
    expect(registry.get('db')!.status).toBe(UNHEALTHY);
    expect(h!.eventsOf('status_change').filter((e) => e.component === 'replica')).toEqual([]);
  });
});

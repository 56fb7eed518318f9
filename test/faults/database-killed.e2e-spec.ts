import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { BreakerRegistry, type CircuitBreakerEvent, CircuitState, type StateChangeEvent } from '@engined/resilience';
import {
  type HealAttemptEvent,
  HealState,
  type HealthEvent,
  HealthRegistry,
  HealthStatus,
} from '@engined/resilience/health';
import { FakeClock } from '@engined/resilience/testing';
import { databaseBreakerProfile } from '../../apps/engined/src/database/database.breaker.js';
import { checkHealth, createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from '../app/support/cleanup.js';
import { startEnginedApp } from '../app/support/engined-test-app.js';
import { HealthWatch } from '../app/support/health-watch.js';
import { type Outcome, RecordsClient } from '../app/support/records-client.js';
import { DATABASE_BACKENDS, nextEvent, startProxiedDatabase, whenCounted } from './support/fault-rig.js';

const WRITES = 200;
/** Acknowledged writes before the kill: the rest are still in flight (queued in the pool or on the wire). */
const ACKED_BEFORE_KILL = 25;
/** Fake-clock milliseconds between two checks of each component; shorter than the breaker's first open period (2 s ± 10 %). */
const CHECK_INTERVAL_MS = 1_000;

describe.each(DATABASE_BACKENDS)('database killed mid-load (real sockets: daemon → fault proxy → %s)', (_label, backend) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('keeps every acknowledged write, fails readiness and opens the breaker at once, and serves again at the first check after the return', async () => {
    const { db, proxy, url } = await startProxiedDatabase(cleanup, backend);
    // Time-driven behaviour (checks, heal backoff, open duration) moves only with this clock; sockets run in real time.
    const clock = new FakeClock();
    const daemon = cleanup.add(
      await startEnginedApp(
        {
          DATABASE_URL: url,
          DATABASE_POOL_SIZE: '4',
          // pg counts the wait for a pooled connection against this limit: with 200 writes queued on a loaded
          // machine, the default 2 s would fail writes (and open the breaker) before the kill.
          DATABASE_CONNECT_TIMEOUT_MS: '60000',
          // All 200 writes must be in flight at the database when it dies, not refused as busy up front.
          DATABASE_MAX_QUEUED: String(WRITES),
          HEALTH_CHECK_INTERVAL_MS: String(CHECK_INTERVAL_MS),
          HEALTH_STARTUP_GRACE_MS: '0',
          // Keep the output to errors.
          LOG_LEVEL: 'error',
        },
        clock,
      ),
      (d) => d.close(),
    );
    const registry = daemon.app.get(HealthRegistry);
    const breaker = daemon.app.get(BreakerRegistry).get('database')!;
    const breakerEvents: CircuitBreakerEvent[] = [];
    const healthEvents: HealthEvent[] = [];
    const breakerSub = breaker.events$.subscribe((e) => breakerEvents.push(e));
    const healthSub = registry.events$.subscribe((e) => healthEvents.push(e));
    cleanup.add(null, () => {
      breakerSub.unsubscribe();
      healthSub.unsubscribe();
    });
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
    const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
    await registry.runNow();
    await readiness.next('SERVING');

    // --- 200 writes in flight; the database dies (every connection reset, new ones refused) once some are acknowledged.
    const writes: Promise<Outcome<{ id: string }>>[] = [];
    for (let i = 0; i < WRITES; i++) writes.push(client.call<{ id: string }>('CreateRecord', { name: `load-${i}`, payload: `{"i":${i}}` }, 15_000));
    const settledAtKill = await whenCounted(writes, ACKED_BEFORE_KILL, (o) => o.ok);
    proxy.setMode('reset');
    expect(settledAtKill).toBeLessThan(WRITES); // the kill lands while writes are in flight
    const outcomes = await Promise.all(writes);

    const acked = outcomes.flatMap((o) => (o.ok ? [o.value.id] : []));
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    expect(acked.length).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    expect(refused.length).toBeGreaterThan(0);
    // A write that was not acknowledged is a clean UNAVAILABLE (database lost, or breaker open), never INTERNAL/UNKNOWN.
    for (const error of refused) {
      expect([error.code, error.details]).toEqual([status.UNAVAILABLE, expect.stringMatching(/^(database unavailable$|Circuit breaker "database" is OPEN; retry after \d+ ms$)/)]);
    }

    // --- The breaker opened on the failure rate, within the failures its window needs to trip.
    const { window, failureRateThreshold } = databaseBreakerProfile(daemon.config);
    const windowSize = (window as { size: number }).size;
    const opened = breakerEvents.findIndex((e) => e.type === 'state_change' && e.to === CircuitState.OPEN);
    expect(opened).toBeGreaterThanOrEqual(0);
    expect((breakerEvents[opened] as StateChangeEvent).reason).toMatch(/failure rate/);
    const failuresBeforeOpen = breakerEvents.slice(0, opened).filter((e) => e.type === 'failure').length;
    expect(failuresBeforeOpen).toBeGreaterThan(0);
    expect(failuresBeforeOpen).toBeLessThanOrEqual(Math.ceil((windowSize * failureRateThreshold!) / 100));
    expect(breaker.state).toBe(CircuitState.OPEN);

    // --- Readiness failed at once, before any check: the failed writes (three in a row) and the trip fed the
    // database component, which guards the breaker. The fake clock has not moved since the kill.
    expect(registry.get('database')).toMatchObject({ status: HealthStatus.UNHEALTHY, blockedBy: 'database' });
    const failedAt = healthEvents.find((e) => e.type === 'status_change' && e.component === 'database' && e.to === HealthStatus.UNHEALTHY);
    expect(failedAt).toMatchObject({ at: clock.now(), reason: expect.stringMatching(/^(3 failed results in a row|breaker "database" opened)/) });
    await readiness.next('NOT_SERVING');
    await expect(checkHealth(health, 'readiness', 2_000)).resolves.toBe('NOT_SERVING');
    await expect(checkHealth(health, 'database', 2_000)).resolves.toBe('NOT_SERVING');
    // Healing started at once (no grace): the pool is rebuilt, and the attempt waits in its verification
    // window, since nothing can verify it while the database is down.
    await expect(waitFor(() => registry.get('database')!.heal!.attempts === 1)).resolves.toBe(true);
    expect(registry.get('database')!.heal!.state).toBe(HealState.HEALING);
    // The check its trip ran at once, and the heal's re-check, failed too.
    const killedAt = clock.now();
    const failedChecks = () => registry.history('database').checks.filter((c) => c.at === killedAt && c.status === HealthStatus.UNHEALTHY);
    await expect(waitFor(() => failedChecks().length >= 2)).resolves.toBe(true);
    expect(breaker.state).toBe(CircuitState.OPEN);

    // --- The database returns. The next check, one interval after the last, sees it: the heal is verified, and
    // the breaker, whose open period (2 s ± 10 %) still has at least 800 ms left, half-opens at once.
    proxy.setMode('pass');
    const returnedAt = clock.now();
    const acceptedBefore = proxy.stats.accepted;
    const healed = nextEvent(registry.events$, (e): e is HealAttemptEvent => e.type === 'heal_attempt' && e.component === 'database');
    clock.advance(CHECK_INTERVAL_MS);
    const heal = await healed;
    expect(heal).toMatchObject({ result: 'success', verified: true, attempt: 1, at: returnedAt + CHECK_INTERVAL_MS });
    expect(proxy.stats.accepted).toBeGreaterThan(acceptedBefore); // the rebuilt pool dialled afresh
    const recovered = healthEvents.find((e) => e.type === 'status_change' && e.component === 'database' && e.to === HealthStatus.HEALTHY && e.at >= returnedAt);
    expect(recovered!.at - returnedAt).toBeLessThanOrEqual(CHECK_INTERVAL_MS);
    const halfOpened = breakerEvents.find((e): e is StateChangeEvent => e.type === 'state_change' && e.to === CircuitState.HALF_OPEN);
    expect(halfOpened).toMatchObject({ reason: 'health check of "database" passed', at: returnedAt + CHECK_INTERVAL_MS });
    expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    await readiness.next('SERVING');
    await expect(checkHealth(health, 'readiness', 2_000)).resolves.toBe('SERVING');

    // --- The next write is the probe: it succeeds and the breaker closes, no later than one check interval after the return.
    await expect(client.ok<{ id: string }>('CreateRecord', { name: 'after the outage' })).resolves.toMatchObject({ name: 'after the outage' });
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(clock.now() - returnedAt).toBeLessThanOrEqual(CHECK_INTERVAL_MS);

    // --- Every acknowledged write is in the database (read directly, past the proxy).
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM records WHERE name LIKE 'load-%'`);
    const stored = new Set(rows.map((r) => r.id));
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBeLessThanOrEqual(WRITES);
  });
});

/** Polls `condition` (real time, for work on real sockets) until it holds or `timeoutMs` passes. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

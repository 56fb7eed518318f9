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
import { nextEvent, startProxiedDatabase, whenCounted } from './support/fault-rig.js';

const WRITES = 200;
/** Acknowledged writes before the kill: the rest are still in flight (queued in the pool or on the wire). */
const ACKED_BEFORE_KILL = 25;
/** Fake-clock milliseconds between two checks of each component; longer than the first heal backoff (500 ms ± 20 %). */
const CHECK_INTERVAL_MS = 1_000;
/** Failed checks in a row before the database component turns UNHEALTHY (the library default; the daemon keeps it). */
const FAILURE_THRESHOLD = 3;

describe('database killed mid-load (real sockets: daemon → fault proxy → PGlite)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('keeps every acknowledged write, opens the breaker, fails readiness, and heals within one check interval of the return', async () => {
    const { db, proxy, url } = await startProxiedDatabase(cleanup);
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

    // --- Readiness: the scheduled checks fail; after the failure threshold the database is UNHEALTHY and readiness NOT_SERVING.
    const unhealthy = nextEvent(registry.events$, (e) => e.type === 'status_change' && e.component === 'database' && e.to === HealthStatus.UNHEALTHY);
    const firstHeal = nextEvent(registry.events$, (e): e is HealAttemptEvent => e.type === 'heal_attempt' && e.component === 'database');
    for (let failed = 1; failed <= FAILURE_THRESHOLD; failed++) {
      const checked = nextEvent(registry.events$, (e) => e.type === 'check_completed' && e.component === 'database');
      clock.advance(CHECK_INTERVAL_MS);
      expect(await checked).toMatchObject({ status: HealthStatus.UNHEALTHY });
      // Hysteresis keeps the component serving until the threshold. (The gRPC round trip also lets the
      // scheduler re-arm its next check before the clock moves again.)
      await expect(checkHealth(health, 'database', 2_000)).resolves.toBe(failed < FAILURE_THRESHOLD ? 'SERVING' : 'NOT_SERVING');
    }
    await unhealthy;
    await readiness.next('NOT_SERVING');
    await expect(checkHealth(health, 'readiness', 2_000)).resolves.toBe('NOT_SERVING');
    await expect(checkHealth(health, 'database', 2_000)).resolves.toBe('NOT_SERVING');
    // Healing starts at once (no grace) and fails while the database is down; the next attempt is due within one check interval.
    expect(await firstHeal).toMatchObject({ result: 'failure', attempt: 1 });
    const { nextAttemptAt } = registry.get('database')!.heal!;
    expect(registry.get('database')!.heal!.state).toBe(HealState.BACKOFF);

    // --- The database returns. Nothing but the heal's own timer is due before one check interval has passed.
    proxy.setMode('pass');
    const returnedAt = clock.now();
    expect(nextAttemptAt! - returnedAt).toBeLessThanOrEqual(CHECK_INTERVAL_MS);
    const acceptedBefore = proxy.stats.accepted;
    const healed = nextEvent(registry.events$, (e): e is HealAttemptEvent => e.type === 'heal_attempt' && e.component === 'database');
    clock.advance(nextAttemptAt! - returnedAt);
    const heal = await healed;
    expect(heal).toMatchObject({ result: 'success', verified: true, attempt: 2 });
    expect(heal.startedAt - returnedAt).toBeLessThanOrEqual(CHECK_INTERVAL_MS);
    expect(proxy.stats.accepted).toBeGreaterThan(acceptedBefore); // the rebuilt pool dialled afresh
    const recovered = healthEvents.find((e) => e.type === 'status_change' && e.component === 'database' && e.to === HealthStatus.HEALTHY && e.at >= returnedAt);
    expect(recovered!.at - returnedAt).toBeLessThanOrEqual(CHECK_INTERVAL_MS);
    await readiness.next('SERVING');
    await expect(checkHealth(health, 'readiness', 2_000)).resolves.toBe('SERVING');

    // --- The breaker's open duration has passed on the clock: the next write is its probe, and it closes.
    expect(breaker.state).toBe(CircuitState.HALF_OPEN);
    await expect(client.ok<{ id: string }>('CreateRecord', { name: 'after the outage' })).resolves.toMatchObject({ name: 'after the outage' });
    expect(breaker.state).toBe(CircuitState.CLOSED);

    // --- Every acknowledged write is in the database (read directly, past the proxy).
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM records WHERE name LIKE 'load-%'`);
    const stored = new Set(rows.map((r) => r.id));
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(stored.size).toBeLessThanOrEqual(WRITES);
  });
});

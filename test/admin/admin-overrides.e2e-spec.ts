import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ResilienceAdminModule } from '../../libs/resilience/src/admin/admin.module.js';
import type { BreakerOverrideStore } from '../../libs/resilience/src/admin/overrides/breaker-override.store.js';
import { BreakerOverrideSync, OVERRIDE_STORE_COMPONENT } from '../../libs/resilience/src/admin/overrides/breaker-override.sync.js';
import { InMemoryBreakerOverrideStore } from '../../libs/resilience/src/admin/overrides/in-memory-override.store.js';
import { CircuitState } from '../../libs/resilience/src/breaker/circuit-state.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type AdminApp, bearer, START, startAdminApp, TOKEN } from './support/admin-app.js';
import { ReplicaStoreConnection, ScriptedStore } from './support/override-stores.js';

const post = (app: AdminApp, path: string, body: unknown) =>
  request(app.app.getHttpServer()).post(path).set(bearer()).send(body as object);
const get = (app: AdminApp, path: string) => request(app.app.getHttpServer()).get(path).set(bearer());

/** Lets the store's deliveries and the sync's reactions run (no timers involved). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('admin API: breaker overrides shared through a BreakerOverrideStore', () => {
  const apps: AdminApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function replica(store: BreakerOverrideStore, health = false): Promise<AdminApp> {
    const app = await startAdminApp({
      admin: { overrideStore: store },
      breakers: { db: {}, quotes: {} },
      ...(health ? { health: { breakers: { enabled: false } } } : {}),
    });
    apps.push(app);
    return app;
  }

  it('an action on one replica is applied on the others, with who and why, and every replica starting later loads it', async () => {
    const shared = new InMemoryBreakerOverrideStore();
    const a = await replica(shared);
    const b = await replica(shared);

    const forced = await post(a, '/resilience/breakers/db/force-open', { reason: 'failover drill' });
    expect(forced.status).toBe(200);
    expect(forced.body.event).toMatchObject({ action: 'force-open', from: CircuitState.CLOSED, to: CircuitState.FORCED_OPEN });
    expect(forced.body.event.via).toBeUndefined();
    expect(b.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    expect(b.breakers.get('quotes')!.state).toBe(CircuitState.CLOSED);

    // B shows the action as taken elsewhere: an operator event marked `via: store`, and the breaker's operator view.
    const events = (await get(b, '/resilience/events')).body.events as { type: string; via?: string }[];
    expect(events.filter((e) => e.type === 'operator.action')).toEqual([
      expect.objectContaining({ action: 'force-open', breaker: 'db', actor: 'operator', reason: 'failover drill', via: 'store', to: CircuitState.FORCED_OPEN }),
    ]);
    expect((await get(b, '/resilience/breakers/db')).body.operator).toEqual({ action: 'force-open', actor: 'operator', reason: 'failover drill', at: START });
    // A recorded its own action once, not a second time when the store delivered it back.
    const own = (await get(a, '/resilience/events')).body.events as { type: string }[];
    expect(own.filter((e) => e.type === 'operator.action')).toHaveLength(1);

    // A replica started now loads the override before it serves.
    const c = await replica(shared);
    expect(c.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    expect(c.breakers.get('db')!.toJSON().reason).toBe('failover drill');

    // Reset anywhere resets everywhere.
    expect((await post(c, '/resilience/breakers/db/reset', { reason: 'drill over' })).status).toBe(200);
    expect(a.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
    expect(b.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
    expect(await shared.load()).toEqual([]);
  });

  it('a breaker created after the override was applied gets it when it is created', async () => {
    const shared = new InMemoryBreakerOverrideStore();
    const a = await replica(shared);
    const late = await startAdminApp({ admin: { overrideStore: shared }, breakers: { db: {} } });
    apps.push(late);
    a.breakers.getOrCreate('lazy');
    expect((await post(a, '/resilience/breakers/lazy/disable', { reason: 'bypass while the check is wrong' })).status).toBe(200);
    expect(late.breakers.get('lazy')).toBeUndefined();
    expect(late.breakers.getOrCreate('lazy').state).toBe(CircuitState.DISABLED);
  });

  it('while the store is unreachable: actions fail with 503 and change nothing, replicas keep their overrides and say so, then resync', async () => {
    const shared = new InMemoryBreakerOverrideStore();
    const toA = new ReplicaStoreConnection(shared);
    const toB = new ReplicaStoreConnection(shared);
    const a = await replica(toA, true);
    const b = await replica(toB, true);
    await b.health!.runNow();
    expect(b.health!.get(OVERRIDE_STORE_COMPONENT)).toMatchObject({ status: HealthStatus.HEALTHY });
    expect((await post(a, '/resilience/breakers/db/force-open', { reason: 'db migration' })).status).toBe(200);
    expect((await post(a, '/resilience/breakers/quotes/metrics-only', { reason: 'new thresholds' })).status).toBe(200);
    expect(b.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);

    // B loses the store: it keeps both overrides and its health component says so (DEGRADED, not failing).
    toB.down();
    await settle();
    expect(b.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    const degraded = b.health!.get(OVERRIDE_STORE_COMPONENT)!;
    expect(degraded.status).toBe(HealthStatus.DEGRADED);
    expect(degraded.message).toBe(
      'breaker override store unreachable (Connection terminated unexpectedly): keeping the 2 last known override(s), resyncing on reconnect',
    );
    expect(degraded.details).toMatchObject({ inSync: false, store: 'shared test store', overrides: ['db: force-open', 'quotes: metrics-only'] });
    expect(b.app.get(BreakerOverrideSync).status()).toMatchObject({ inSync: false, error: 'Connection terminated unexpectedly' });
    expect(b.logger.messages('warn')).toContain(
      'breaker override store shared test store unreachable (Connection terminated unexpectedly): keeping 2 last known override(s)',
    );

    // An action on B cannot be recorded: 503, and B's breaker is left as it was.
    const refused = await post(b, '/resilience/breakers/db/reset', { reason: 'try' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'OVERRIDE_STORE_UNAVAILABLE' });
    expect(refused.body.message).toBe(
      'The breaker override store (shared test store) could not record the action, so it was not applied: connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(b.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);

    // Meanwhile A clears one override and changes the other: B misses both, and catches up when the store is back.
    expect((await post(a, '/resilience/breakers/db/reset', { reason: 'migration done' })).status).toBe(200);
    expect((await post(a, '/resilience/breakers/quotes/disable', { reason: 'thresholds wrong' })).status).toBe(200);
    expect(b.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    toB.up();
    await settle();
    expect(b.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
    expect(b.breakers.get('quotes')!.state).toBe(CircuitState.DISABLED);
    expect(b.health!.get(OVERRIDE_STORE_COMPONENT)).toMatchObject({ status: HealthStatus.HEALTHY });
    expect(b.app.get(BreakerOverrideSync).status()).toMatchObject({ inSync: true, overrides: [expect.objectContaining({ breaker: 'quotes', action: 'disable' })] });
  });

  it('a store that cannot load at start does not stop the start: retried with backoff on the clock until it loads', async () => {
    const shared = new InMemoryBreakerOverrideStore();
    await shared.publish({ breaker: 'db', action: 'force-open', reason: 'set before start', actor: 'ops', at: START, origin: 'elsewhere' });
    const connection = new ReplicaStoreConnection(shared);
    connection.down();
    const app = await replica(connection);
    expect(app.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
    expect(app.app.get(BreakerOverrideSync).status()).toMatchObject({ inSync: false, error: 'connect ECONNREFUSED 127.0.0.1:5432' });
    expect(app.logger.messages('warn')).toContain(
      'loading breaker overrides from shared test store failed (connect ECONNREFUSED 127.0.0.1:5432); keeping the last known ones, retrying',
    );
    // Up again, but this store never reports it: the sync's own retry (1 s, then doubling) finds it.
    (connection as unknown as { connected: boolean }).connected = true;
    app.clock.advance(1_000);
    await settle();
    expect(app.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    expect(app.app.get(BreakerOverrideSync).status().inSync).toBe(true);
  });

  it('ignores a change older than the last one applied to the breaker (late or out-of-order delivery)', async () => {
    const store = new ScriptedStore();
    const app = await replica(store);
    const listener = store.listener!;
    const base = { breaker: 'db', actor: 'ops', at: START, origin: 'elsewhere' };
    listener.change({ ...base, action: 'force-open', reason: 'second', version: 7 });
    listener.change({ ...base, action: 'disable', reason: 'first', version: 6 });
    expect(app.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    listener.change({ ...base, action: 'reset', reason: 'third', version: 8 });
    expect(app.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
  });

  it('loads again when the feed comes back during a load: a change between that snapshot and the feed is not missed', async () => {
    const store = new ScriptedStore();
    const app = await replica(store);
    expect(store.loads).toBe(1);
    // The feed drops and returns; the resync's load is slow, and the feed returns again while it runs.
    store.listener!.connection(false, new Error('gone'));
    const slow = store.hold();
    store.listener!.connection(true);
    expect(store.loads).toBe(2);
    // Committed after that load's snapshot, while no feed delivered it.
    store.overrides = [{ breaker: 'db', action: 'force-open', reason: 'during the load', actor: 'ops', at: START, origin: 'elsewhere', version: 9 }];
    store.listener!.connection(true);
    slow.release();
    await settle();
    expect(store.loads).toBe(3);
    expect(app.breakers.get('db')!.state).toBe(CircuitState.FORCED_OPEN);
    expect(app.app.get(BreakerOverrideSync).status().inSync).toBe(true);
  });

  it('rejects an overrideStore that is not a store at bootstrap, naming the option', async () => {
    await expect(
      startAdminApp({
        adminModule: ResilienceAdminModule.forRootAsync({ enabled: true, useFactory: () => ({ token: TOKEN, overrideStore: { load: () => [] } as never }) }),
      }),
    ).rejects.toThrow(
      'ResilienceAdminModule: option "overrideStore" must implement BreakerOverrideStore (missing publish(), subscribe(), description), got {}',
    );
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { AdminEvent } from '../../libs/resilience/src/admin/admin.events.js';
import { CircuitState } from '../../libs/resilience/src/breaker/circuit-state.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type AdminApp, bearer, START, startAdminApp, until } from './support/admin-app.js';

const fail = (): Promise<never> => Promise.reject(new Error('down'));
const succeed = (): Promise<string> => Promise.resolve('ok');

async function events(app: AdminApp, query = '') {
  const response = await request(app.app.getHttpServer()).get(`/resilience/events${query}`).set(bearer());
  expect(response.status).toBe(200);
  return response.body as { events: AdminEvent[]; lastId: number; oldestId: number; missed: number; reset: boolean };
}

async function tripDb(app: AdminApp): Promise<void> {
  const db = app.breakers.get('db')!;
  await db.execute(fail).catch(() => undefined);
  await db.execute(fail).catch(() => undefined);
}

describe('admin API: event history (GET /events)', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  it('records breaker transitions with their reason, in order, with increasing ids and clock timestamps', async () => {
    served = await startAdminApp({ breakers: { db: { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000 } } });
    const app = served;
    app.clock.advance(500);
    await tripDb(app);
    app.clock.advance(10_000);
    await app.breakers.get('db')!.execute(succeed);
    const page = await events(app);
    const transitions = page.events.filter((event) => event.type === 'breaker.transition');
    expect(transitions).toEqual([
      { id: expect.any(Number), type: 'breaker.transition', at: START + 500, breaker: 'db', from: 'CLOSED', to: 'OPEN', reason: expect.stringContaining('consecutive') },
      { id: expect.any(Number), type: 'breaker.transition', at: START + 10_500, breaker: 'db', from: 'OPEN', to: 'HALF_OPEN', reason: 'open duration elapsed' },
      { id: expect.any(Number), type: 'breaker.transition', at: START + 10_500, breaker: 'db', from: 'HALF_OPEN', to: 'CLOSED', reason: expect.stringContaining('probes succeeded') },
    ]);
    const ids = page.events.map((event) => event.id);
    expect(ids).toEqual(ids.toSorted((a, b) => a - b));
    expect(page).toMatchObject({ lastId: ids.at(-1), oldestId: 1, missed: 0, reset: false });
  });

  it('samples rejections: at most one event per breaker per second, with the count folded in, and none while nothing rejects', async () => {
    served = await startAdminApp({ breakers: { db: { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 60_000 } } });
    const app = served;
    const db = app.breakers.get('db')!;
    await tripDb(app);
    for (let i = 0; i < 25; i++) await db.execute(succeed).catch(() => undefined);
    app.clock.advance(400);
    for (let i = 0; i < 5; i++) await db.execute(succeed).catch(() => undefined);
    expect((await events(app)).events.filter((event) => event.type === 'breaker.rejections')).toEqual([]);
    app.clock.advance(600);
    app.clock.advance(1_000); // a tick with no rejection adds nothing
    for (let i = 0; i < 3; i++) await db.execute(succeed).catch(() => undefined);
    app.clock.advance(1_000);
    const rejections = (await events(app)).events.filter((event) => event.type === 'breaker.rejections');
    expect(rejections).toEqual([
      { id: expect.any(Number), type: 'breaker.rejections', breaker: 'db', count: 30, fromAt: START, at: START + 1_000, state: CircuitState.OPEN },
      { id: expect.any(Number), type: 'breaker.rejections', breaker: 'db', count: 3, fromAt: START + 2_000, at: START + 3_000, state: CircuitState.OPEN },
    ]);
  });

  it('flushes the rejections counted so far when the breaker stops rejecting, and stops sampling', async () => {
    served = await startAdminApp({ breakers: { db: {} } });
    const app = served;
    const db = app.breakers.get('db')!;
    app.breakers.forceOpen('db', 'drill');
    expect(app.clock.pendingTimers).toBe(1);
    for (let i = 0; i < 7; i++) await db.execute(succeed).catch(() => undefined);
    app.clock.advance(300);
    app.breakers.reset('db', 'drill over');
    const page = await events(app);
    expect(page.events.map((event) => event.type)).toEqual(['breaker.transition', 'breaker.rejections', 'breaker.transition']);
    expect(page.events[1]).toMatchObject({ count: 7, fromAt: START, at: START + 300, state: CircuitState.CLOSED });
    expect(app.clock.pendingTimers).toBe(0);
    expect((await request(app.app.getHttpServer()).get('/resilience').set(bearer())).body.sampling).toBe(false);
  });

  it('records status changes, heal attempts, give-ups and heal resets of health components', async () => {
    const state = { ok: true };
    served = await startAdminApp({
      health: {
        components: [
          {
            name: 'queue',
            check: () => state.ok,
            heal: () => undefined,
            failureThreshold: 1,
            intervalMs: 60_000,
            healing: { backoff: { minMs: 1_000, maxMs: 1_000, factor: 1, jitter: 0 }, maxAttempts: 1, windowMs: 60_000 },
          },
        ],
      },
    });
    const app = served;
    app.clock.advance(0);
    await until(() => app.health!.get('queue')!.status === HealthStatus.HEALTHY, 'the first check');
    state.ok = false;
    await app.health!.runNow('queue');
    await until(() => app.health!.history('queue').heals.length === 1, 'a heal attempt');
    app.clock.advance(1_000);
    await until(() => app.health!.get('queue')!.heal!.state === 'GAVE_UP', 'GAVE_UP');
    app.logger.takeErrors();
    state.ok = true;
    await request(app.app.getHttpServer()).post('/resilience/components/queue/heal/reset').set(bearer()).send({ reason: 'fixed' }).expect(200);
    await until(() => app.health!.get('queue')!.status === HealthStatus.HEALTHY, 'recovery');
    const page = await events(app);
    const mine = page.events.map(({ type, ...rest }) => ({ type, ...('component' in rest ? { component: rest.component } : {}) }));
    expect(mine).toEqual(
      expect.arrayContaining([
        { type: 'component.status', component: 'queue' },
        { type: 'component.heal', component: 'queue' },
        { type: 'component.gave_up', component: 'queue' },
        { type: 'component.heal_reset', component: 'queue' },
        { type: 'operator.action', component: 'queue' },
      ]),
    );
    expect(page.events.find((event) => event.type === 'component.heal')).toMatchObject({ attempt: 1, result: 'failure', verified: false });
    expect(page.events.filter((event) => event.type === 'component.status').map((event) => event.type === 'component.status' && `${event.from}→${event.to}`)).toEqual([
      'UNKNOWN→HEALTHY',
      'HEALTHY→UNHEALTHY',
      'UNHEALTHY→HEALTHY',
    ]);
    expect(page.events.find((event) => event.type === 'operator.action')).toMatchObject({ actor: 'operator', action: 'heal-reset', reason: 'fixed' });
    // Checks that change nothing are not events: the history of checks is on the component.
    expect(page.events.some((event) => (event.type as string) === 'component.check')).toBe(false);
  });

  it('returns the events after ?since=, and nothing after the last one', async () => {
    served = await startAdminApp({ breakers: { db: {} } });
    const app = served;
    for (let i = 0; i < 3; i++) {
      app.breakers.forceOpen('db', `drill ${i}`);
      app.breakers.reset('db', `drill ${i} over`);
    }
    const all = await events(app);
    expect(all.events.map((event) => event.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await events(app, '?since=4')).events.map((event) => event.id)).toEqual([5, 6]);
    expect(await events(app, '?since=6')).toMatchObject({ events: [], lastId: 6, missed: 0, reset: false });
    expect((await events(app, '?since=0')).events).toHaveLength(6);
    expect((await events(app, '?since=')).events).toHaveLength(6);
  });

  it('keeps only eventBufferSize events and says how many after ?since= were missed; an id from an earlier run is a reset', async () => {
    served = await startAdminApp({ breakers: { db: {} }, admin: { eventBufferSize: 4 } });
    const app = served;
    for (let i = 0; i < 5; i++) {
      app.breakers.forceOpen('db', `drill ${i}`);
      app.breakers.reset('db', 'over');
    }
    // Nothing was rejected: 10 transitions, ids 1..10, of which 7..10 are kept.
    const all = await events(app);
    expect(all).toMatchObject({ lastId: 10, oldestId: 7, missed: 0 });
    expect(all.events.map((event) => event.id)).toEqual([7, 8, 9, 10]);
    expect(await events(app, '?since=2')).toMatchObject({ missed: 4, oldestId: 7 });
    expect((await events(app, '?since=2')).events.map((event) => event.id)).toEqual([7, 8, 9, 10]);
    const later = await events(app, '?since=500');
    expect(later).toMatchObject({ reset: true, missed: 0 });
    expect(later.events.map((event) => event.id)).toEqual([7, 8, 9, 10]);
  });

  it.each(['abc', '-1', '1.5', '1e3', '99999999999999999', ' ', '0x10'])('answers 400 naming since for ?since=%j', async (since) => {
    served = await startAdminApp();
    const response = await request(served.app.getHttpServer()).get(`/resilience/events?since=${encodeURIComponent(since)}`).set(bearer());
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'since', message: expect.stringContaining('since must be a non-negative integer') });
  });

  it('answers 400 for a repeated since', async () => {
    served = await startAdminApp();
    const response = await request(served.app.getHttpServer()).get('/resilience/events?since=1&since=2').set(bearer());
    expect(response.status).toBe(400);
    expect(response.body.field).toBe('since');
  });
});

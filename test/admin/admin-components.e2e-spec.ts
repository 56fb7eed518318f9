import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { HealState } from '../../libs/resilience/src/health/health.snapshot.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type AdminApp, bearer, START, startAdminApp, until } from './support/admin-app.js';

const get = (app: AdminApp, path: string) => request(app.app.getHttpServer()).get(path).set(bearer());
const post = (app: AdminApp, path: string, body: object = {}) => request(app.app.getHttpServer()).post(path).set(bearer()).send(body);

describe('admin API: health components', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  /** `cache` answers what `answer` holds; `queue` has a heal that never helps; `db` is a breaker. */
  async function start() {
    const state = { cache: true as boolean | Error, queue: true, heals: 0, healFixes: false };
    served = await startAdminApp({
      breakers: { db: {} },
      health: {
        defaults: { intervalMs: 60_000, failureThreshold: 1 },
        components: [
          { name: 'cache', type: 'cache', check: () => { if (state.cache instanceof Error) throw state.cache; return state.cache; } },
          {
            name: 'queue',
            type: 'queue',
            critical: false,
            check: () => state.queue,
            heal: () => {
              state.heals++;
              if (state.healFixes) state.queue = true;
            },
            healing: { backoff: { minMs: 1_000, maxMs: 1_000, factor: 1, jitter: 0 }, maxAttempts: 1, windowMs: 60_000 },
          },
        ],
      },
    });
    // The first checks are due at once, on the fake clock.
    served.clock.advance(0);
    return { app: served, state };
  }

  it('lists every component with status, last check, latency, heal state and history', async () => {
    const { app } = await start();
    await until(() => app.health!.get('cache')!.lastCheckedAt !== undefined, 'the first check of cache');
    const response = await get(app, '/resilience/components');
    expect(response.status).toBe(200);
    expect(response.body.components.map((c: { name: string }) => c.name)).toEqual(['cache', 'queue', 'breaker:db']);
    const [cache, queue, db] = response.body.components;
    expect(cache).toMatchObject({
      name: 'cache',
      type: 'cache',
      status: HealthStatus.HEALTHY,
      lastCheckedAt: START,
      latencyMs: 0,
      history: { checks: [{ at: START, status: HealthStatus.HEALTHY, durationMs: 0, timedOut: false }], heals: [] },
    });
    expect(cache.heal).toBeUndefined();
    expect(queue).toMatchObject({ name: 'queue', heal: { state: expect.any(String), attempts: expect.any(Number) } });
    expect(db).toMatchObject({ name: 'breaker:db', type: 'breaker', status: HealthStatus.HEALTHY });
    expect((await get(app, '/resilience')).body).toMatchObject({ components: 3, status: expect.any(String) });
  });

  it('POST …/check runs the check now and answers with its result', async () => {
    const { app, state } = await start();
    await until(() => app.health!.get('cache')!.lastCheckedAt !== undefined, 'the first check of cache');
    app.clock.advance(5_000);
    state.cache = new Error('connection refused by cache:6379');
    const response = await post(app, '/resilience/components/cache/check', { reason: 'verify the outage' });
    expect(response.status).toBe(200);
    expect(response.body.event).toMatchObject({
      type: 'operator.action',
      action: 'check',
      component: 'cache',
      reason: 'verify the outage',
      from: HealthStatus.HEALTHY,
      to: HealthStatus.UNHEALTHY,
    });
    expect(response.body.component).toMatchObject({
      status: HealthStatus.UNHEALTHY,
      lastCheckedAt: START + 5_000,
      error: { message: expect.stringContaining('connection refused') },
    });
    expect(response.body.component.history.checks).toHaveLength(2);
  });

  it('POST …/heal/reset takes a component out of GAVE_UP and heals it again', async () => {
    const { app, state } = await start();
    // The queue fails: one heal attempt (it does not help), and with maxAttempts 1 the next trigger gives up.
    state.queue = false;
    await post(app, '/resilience/components/queue/check').expect(200);
    await until(() => state.heals === 1, 'the first heal attempt');
    app.clock.advance(1_000);
    await until(() => app.health!.get('queue')!.heal!.state === HealState.GAVE_UP, 'GAVE_UP');
    expect(app.logger.takeErrors()).toEqual([
      '[HealthRegistry] Health component "queue": gave up healing after 1 attempt within 60000 ms',
      '[HealthRegistry] Health component "queue": escalated to readiness',
    ]);

    const before = await get(app, '/resilience/components/queue');
    expect(before.body.heal).toMatchObject({ state: HealState.GAVE_UP, attempts: 1 });

    state.healFixes = true;
    const response = await post(app, '/resilience/components/queue/heal/reset', { reason: 'queue fixed by hand' });
    expect(response.status).toBe(200);
    expect(response.body.event).toMatchObject({ action: 'heal-reset', component: 'queue', from: HealState.GAVE_UP, reason: 'queue fixed by hand' });
    expect(response.body.component.heal.state).not.toBe(HealState.GAVE_UP);
    await until(() => app.health!.get('queue')!.status === HealthStatus.HEALTHY, 'the heal after the reset');
    expect(state.heals).toBe(2);
    const audit = app.logger.lines.filter((line) => line.context === 'ResilienceAdmin').map((line) => line.message);
    expect(audit).toEqual([
      'Operator action check on component "queue" by operator: HEALTHY → UNHEALTHY (event 4)',
      expect.stringMatching(/^Operator action heal-reset on component "queue" by operator, reason "queue fixed by hand": GAVE_UP → /),
    ]);
  });

  it('accepts component actions without a reason, and validates one when given', async () => {
    const { app } = await start();
    expect((await post(app, '/resilience/components/cache/check')).status).toBe(200);
    const bad = await post(app, '/resilience/components/cache/check', { reason: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('reason');
  });

  it('answers 404 for an unknown component, 409 for a check of a breaker component and for a heal reset without a heal', async () => {
    const { app } = await start();
    for (const path of ['/resilience/components/nope', '/resilience/components/nope/check', '/resilience/components/nope/heal/reset']) {
      const response = path.endsWith('nope') ? await get(app, path) : await post(app, path);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('UNKNOWN_COMPONENT');
    }
    const breakerCheck = await post(app, `/resilience/components/${encodeURIComponent('breaker:db')}/check`);
    expect(breakerCheck.status).toBe(409);
    expect(breakerCheck.body).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('act on the breaker') });
    const noHeal = await post(app, '/resilience/components/cache/heal/reset');
    expect(noHeal.status).toBe(409);
    expect(noHeal.body.message).toContain('has no heal');
  });
});

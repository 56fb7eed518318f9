import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CircuitState } from '../../libs/resilience/src/breaker/circuit-state.js';
import { type AdminApp, bearer, START, startAdminApp } from './support/admin-app.js';

const fail = (): Promise<never> => Promise.reject(new Error('down'));
const succeed = (): Promise<string> => Promise.resolve('ok');

const get = (app: AdminApp, path: string) => request(app.app.getHttpServer()).get(path).set(bearer());
const post = (app: AdminApp, path: string, body?: unknown) => {
  const call = request(app.app.getHttpServer()).post(path).set(bearer());
  return body === undefined ? call : call.send(body as object);
};

describe('admin API: breakers', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  async function start() {
    served = await startAdminApp({
      breakers: {
        db: { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000, timeoutMs: 500 },
        quotes: { window: { kind: 'count', size: 10 }, minimumCalls: 4, slowCallDurationMs: 200 },
        'name/with space': {},
      },
    });
    return served;
  }

  it('lists every breaker with its state, since, reason, retry-after, metrics and options', async () => {
    const app = await start();
    const db = app.breakers.get('db')!;
    await db.execute(succeed);
    app.clock.advance(1_000);
    await db.execute(fail).catch(() => undefined);
    await db.execute(fail).catch(() => undefined);
    app.clock.advance(4_000);
    await db.execute(succeed).catch(() => undefined);

    const response = await get(app, '/resilience/breakers');
    expect(response.status).toBe(200);
    expect(response.body.breakers.map((b: { name: string }) => b.name)).toEqual(['db', 'quotes', 'name/with space']);
    const [dbView, quotesView] = response.body.breakers;
    expect(dbView).toMatchObject({
      name: 'db',
      state: CircuitState.OPEN,
      since: START + 1_000,
      reason: expect.stringContaining('2 consecutive failures'),
      retryAfterMs: 6_000,
      operator: null,
      metrics: {
        calls: { successful: 1, failed: 2, notPermitted: 1, ignored: 0, timedOut: 0, slow: 0 },
        failureRate: -1,
        transitions: 1,
        consecutiveTrips: 1,
        timeInStateMs: 4_000,
        inFlight: 0,
      },
      options: {
        window: { kind: 'consecutive', failures: 2 },
        openDuration: { initialMs: 10_000, maxMs: 10_000, multiplier: 1, jitter: 0 },
        timeoutMs: 500,
        slowCallDurationMs: null,
        fallback: false,
      },
    });
    expect(quotesView).toMatchObject({
      state: CircuitState.CLOSED,
      since: START,
      reason: null,
      retryAfterMs: null,
      metrics: { calls: { successful: 0 }, window: { kind: 'count', bufferedCalls: 0, capacity: 10, fill: 0, evaluating: false } },
      options: { window: { kind: 'count', size: 10 }, minimumCalls: 4, slowCallDurationMs: 200, timeoutMs: null, failureRateThreshold: 50 },
    });
  });

  it('shows the window filling and the rates once minimumCalls are recorded', async () => {
    const app = await start();
    const quotes = app.breakers.get('quotes')!;
    for (let i = 0; i < 3; i++) await quotes.execute(succeed);
    expect((await get(app, '/resilience/breakers/quotes')).body.metrics).toMatchObject({
      failureRate: -1,
      window: { bufferedCalls: 3, capacity: 10, fill: 0.3, evaluating: false },
    });
    await quotes.execute(fail).catch(() => undefined);
    expect((await get(app, '/resilience/breakers/quotes')).body.metrics).toMatchObject({
      failureRate: 25,
      slowCallRate: 0,
      window: { bufferedCalls: 4, fill: 0.4, evaluating: true },
    });
  });

  it('serves one breaker by its (URL-encoded) name, 404 naming the known ones for an unknown name', async () => {
    const app = await start();
    const found = await get(app, `/resilience/breakers/${encodeURIComponent('name/with space')}`);
    expect(found.status).toBe(200);
    expect(found.body.name).toBe('name/with space');
    const missing = await get(app, '/resilience/breakers/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'UNKNOWN_BREAKER', message: expect.stringContaining('"db", "quotes"') });
  });

  it.each([
    ['force-open', CircuitState.FORCED_OPEN],
    ['disable', CircuitState.DISABLED],
    ['metrics-only', CircuitState.METRICS_ONLY],
  ])('POST …/%s puts the breaker in its operator state with the reason, and reset brings it back to CLOSED', async (action, state) => {
    const app = await start();
    const acted = await post(app, `/resilience/breakers/db/${action}`, { reason: '  planned maintenance  ' });
    expect(acted.status).toBe(200);
    expect(acted.body.event).toMatchObject({ type: 'operator.action', action, breaker: 'db', reason: 'planned maintenance', from: 'CLOSED', to: state, actor: 'operator', at: START });
    expect(acted.body.breaker).toMatchObject({
      state,
      reason: 'planned maintenance',
      operator: { action, actor: 'operator', reason: 'planned maintenance', at: START },
    });
    expect(app.breakers.get('db')!.state).toBe(state);

    app.clock.advance(2_000);
    const reset = await post(app, '/resilience/breakers/db/reset', { reason: 'done' });
    expect(reset.status).toBe(200);
    expect(reset.body.event).toMatchObject({ action: 'reset', from: state, to: 'CLOSED' });
    expect(reset.body.breaker).toMatchObject({ state: 'CLOSED', since: START + 2_000, reason: 'operator: done' });
  });

  it('rejects calls while forced open, as a caller sees it', async () => {
    const app = await start();
    await post(app, '/resilience/breakers/db/force-open', { reason: 'drain db' }).expect(200);
    await expect(app.breakers.get('db')!.execute(succeed)).rejects.toMatchObject({ name: 'CircuitBreakerOpenError' });
    expect((await get(app, '/resilience/breakers/db')).body).toMatchObject({ state: 'FORCED_OPEN', retryAfterMs: null, metrics: { calls: { notPermitted: 1 } } });
  });

  it('audits every action with a log line naming breaker, action, reason and actor', async () => {
    const app = await start();
    await post(app, '/resilience/breakers/db/force-open', { reason: 'incident 42' }).expect(200);
    const audit = app.logger.lines.filter((line) => line.context === 'ResilienceAdmin').map((line) => line.message);
    expect(audit).toEqual(['Operator action force-open on breaker "db" by operator, reason "incident 42": CLOSED → FORCED_OPEN (event 2)']);
  });

  it.each([
    ['no body', undefined, 'reason', 'reason is required'],
    ['an empty object', {}, 'reason', 'reason is required'],
    ['an empty reason', { reason: '' }, 'reason', 'reason must not be empty'],
    ['a blank reason', { reason: '   ' }, 'reason', 'reason must not be empty'],
    ['a number', { reason: 42 }, 'reason', 'reason must be a string'],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason', 'reason must be at most 500 characters (got 501)'],
    ['a newline (log forging)', { reason: 'ok\n[ResilienceAdmin] fake line' }, 'reason', 'reason must not contain control characters'],
    ['an unknown field', { reason: 'ok', force: true }, 'force', 'force is not a field of this request'],
    ['an array body', ['ok'], 'body', 'body must be a JSON object'],
  ])('answers 400 naming the field for %s, and leaves the breaker alone', async (_case, body, field, message) => {
    const app = await start();
    const response = await post(app, '/resilience/breakers/db/force-open', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'INVALID_REQUEST', field, message: expect.stringContaining(message) });
    expect(app.breakers.get('db')!.state).toBe(CircuitState.CLOSED);
    expect(app.logger.lines.filter((line) => line.context === 'ResilienceAdmin')).toEqual([]);
  });

  it('accepts a reason of exactly the maximum length', async () => {
    const app = await start();
    await post(app, '/resilience/breakers/db/force-open', { reason: 'y'.repeat(500) }).expect(200);
  });

  it('answers 404 for an unknown breaker and for an unknown action', async () => {
    const app = await start();
    const breaker = await post(app, '/resilience/breakers/nope/force-open', { reason: 'x' });
    expect(breaker.status).toBe(404);
    expect(breaker.body.code).toBe('UNKNOWN_BREAKER');
    const action = await post(app, '/resilience/breakers/db/explode', { reason: 'x' });
    expect(action.status).toBe(404);
    expect(action.body).toMatchObject({ code: 'UNKNOWN_ACTION', message: expect.stringContaining('force-open, disable, metrics-only, reset') });
  });

  it('works without a HealthModule: components answer 404 NO_HEALTH_MODULE', async () => {
    const app = await start();
    const components = await get(app, '/resilience/components');
    expect(components.status).toBe(404);
    expect(components.body.code).toBe('NO_HEALTH_MODULE');
    expect((await post(app, '/resilience/components/x/check', {})).body.code).toBe('NO_HEALTH_MODULE');
    expect((await get(app, '/resilience')).body).toMatchObject({ prefix: '/resilience', breakers: 3, components: null, status: null, publicReads: false });
  });
});

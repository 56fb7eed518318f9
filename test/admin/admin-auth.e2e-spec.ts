import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type AdminApp, bearer, OTHER_TOKEN, startAdminApp, TOKEN, WRONG_TOKEN } from './support/admin-app.js';

/** Every route of the admin API, by whether it only reads. */
const READS: readonly string[] = ['/resilience', '/resilience/breakers', '/resilience/breakers/db', '/resilience/components', '/resilience/components/cache', '/resilience/events'];
const WRITES: readonly string[] = [
  '/resilience/breakers/db/force-open',
  '/resilience/breakers/db/disable',
  '/resilience/breakers/db/metrics-only',
  '/resilience/breakers/db/reset',
  '/resilience/components/cache/check',
  '/resilience/components/cache/heal/reset',
];

function send(app: AdminApp, method: 'get' | 'post', path: string) {
  const call = request(app.app.getHttpServer())[method](path);
  return method === 'post' ? call.send({ reason: 'auth matrix' }) : call;
}

describe('admin API: bearer-token access', () => {
  let served: AdminApp | undefined;
  afterEach(async () => {
    await served?.close();
    served = undefined;
  });

  function start(publicReads = false) {
    return startAdminApp({
      admin: { publicReads, tokens: [{ token: TOKEN, label: 'alice' }, { token: OTHER_TOKEN }] },
      breakers: { db: {} },
      health: { components: [{ name: 'cache', check: () => true, heal: () => undefined }] },
    }).then((app) => (served = app));
  }

  describe.each([false, true])('publicReads: %s', (publicReads) => {
    it.each(WRITES)('POST %s: 401 with WWW-Authenticate without a token, 403 with a wrong one, 200 with the right one', async (path) => {
      const app = await start(publicReads);
      const missing = await send(app, 'post', path);
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="resilience"');
      expect(missing.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
      expect((await send(app, 'post', path).set(bearer(WRONG_TOKEN))).status).toBe(403);
      expect((await send(app, 'post', path).set(bearer(TOKEN))).status).toBe(200);
      expect((await send(app, 'post', path).set(bearer(OTHER_TOKEN))).status).toBe(200);
    });
  });

  it.each(READS)('GET %s: 401 with WWW-Authenticate without a token, 403 with a wrong one, 200 with the right one', async (path) => {
    const app = await start(false);
    const missing = await send(app, 'get', path);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="resilience"');
    expect((await send(app, 'get', path).set(bearer(WRONG_TOKEN))).status).toBe(403);
    expect((await send(app, 'get', path).set(bearer(TOKEN))).status).toBe(200);
  });

  it.each(READS)('GET %s with publicReads: 200 without a token, with a wrong one and with the right one', async (path) => {
    const app = await start(true);
    expect((await send(app, 'get', path)).status).toBe(200);
    expect((await send(app, 'get', path).set(bearer(WRONG_TOKEN))).status).toBe(200);
    expect((await send(app, 'get', path).set(bearer(TOKEN))).status).toBe(200);
  });

  it('guards the event stream like the other reads (401 / 403 before any event is written)', async () => {
    const app = await start();
    const missing = await request(app.app.getHttpServer()).get('/resilience/events/stream');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="resilience"');
    const wrong = await request(app.app.getHttpServer()).get('/resilience/events/stream').set(bearer(WRONG_TOKEN));
    expect(wrong.status).toBe(403);
    expect(wrong.headers['content-type']).toMatch(/application\/json/);
  });

  it.each([
    ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['an empty bearer token', 'Bearer '],
    ['the bare token', TOKEN],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`],
  ])('treats %s as no token (401)', async (_case, authorization) => {
    const app = await start();
    const response = await request(app.app.getHttpServer()).post('/resilience/breakers/db/reset').set({ authorization }).send({ reason: 'x' });
    expect(response.status).toBe(401);
  });

  it('refuses a token that only shares a prefix or differs in case (403)', async () => {
    const app = await start();
    for (const token of [TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
      const response = await request(app.app.getHttpServer()).get('/resilience/breakers').set(bearer(token));
      expect(response.status).toBe(403);
    }
  });

  it('never echoes or logs a token, right or wrong', async () => {
    const app = await start();
    const answers = [
      await request(app.app.getHttpServer()).get('/resilience/breakers').set(bearer(WRONG_TOKEN)),
      await request(app.app.getHttpServer()).post('/resilience/breakers/db/force-open').set(bearer(TOKEN)).send({ reason: 'maintenance' }),
      await request(app.app.getHttpServer()).post('/resilience/breakers/db/reset').set(bearer(TOKEN)).send({}),
      await request(app.app.getHttpServer()).get('/resilience/events').set(bearer(TOKEN)),
    ];
    const said = answers.map((answer) => `${JSON.stringify(answer.headers)}${answer.text}`).join('\n');
    const logged = app.logger.lines.map((line) => line.message).join('\n');
    for (const secret of [TOKEN, WRONG_TOKEN]) {
      expect(said).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
  });

  it('records the token’s label as the actor, `operator` for a token without one', async () => {
    const app = await start();
    const server = app.app.getHttpServer();
    const labelled = await request(server).post('/resilience/breakers/db/force-open').set(bearer(TOKEN)).send({ reason: 'drill' });
    const unlabelled = await request(server).post('/resilience/breakers/db/reset').set(bearer(OTHER_TOKEN)).send({ reason: 'drill over' });
    expect(labelled.body.event).toMatchObject({ type: 'operator.action', actor: 'alice', action: 'force-open', reason: 'drill' });
    expect(unlabelled.body.event).toMatchObject({ type: 'operator.action', actor: 'operator', action: 'reset', reason: 'drill over' });
  });
});

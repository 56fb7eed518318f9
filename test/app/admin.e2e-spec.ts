import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { runCli } from '../../apps/engined/src/cli/engined-client.js';
import { Cleanup } from './support/cleanup.js';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { RecordsClient } from './support/records-client.js';

const ADMIN_TOKEN = 'daemon-admin-token-0123456789';

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the bundled CLI in-process and keeps what it printed. */
async function cli(args: string[], env: Record<string, string | undefined>, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env, signal });
  return { code, out, err, json: () => JSON.parse(out.join('\n')) as Record<string, unknown> };
}

/** A whole daemon starts in seconds, more on a loaded machine: one per suite, with room to start. */
const DAEMON_START_MS = 90_000;

describe('the daemon’s admin API (ADMIN_TOKEN) and the CLI’s admin commands', () => {
  const cleanup = new Cleanup();
  let daemon: EnginedApp;
  let env: Record<string, string>;
  beforeAll(async () => {
    daemon = await startEnginedApp({ ADMIN_TOKEN }, new FakeClock());
    env = { ENGINED_HTTP: daemon.httpUrl, ADMIN_TOKEN };
  }, DAEMON_START_MS);
  afterAll(() => daemon?.close());
  afterEach(() => cleanup.run());

  /** Id of the newest event so far, so a test reads only the events it caused. */
  async function lastEventId(): Promise<number> {
    const page = await request(daemon.httpUrl).get('/resilience/events?since=0').set('authorization', `Bearer ${ADMIN_TOKEN}`);
    return page.body.lastId as number;
  }

  it('is not mounted without ADMIN_TOKEN, and the CLI says so', async () => {
    const plain = cleanup.add(await startEnginedApp({}, new FakeClock()), (d) => d.close());
    expect((await request(plain.httpUrl).get('/resilience/breakers').set('authorization', `Bearer ${ADMIN_TOKEN}`)).status).toBe(404);
    const result = await cli(['breakers'], { ENGINED_HTTP: plain.httpUrl, ADMIN_TOKEN });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([`404 Not Found: no admin API at ${plain.httpUrl}/resilience (is the daemon started with ADMIN_TOKEN set, and is --http its HTTP port?)`]);
  }, DAEMON_START_MS);

  it('serves the daemon’s breakers and components on its HTTP port behind the token', async () => {
    expect((await request(daemon.httpUrl).get('/resilience/breakers')).status).toBe(401);
    const breakers = await request(daemon.httpUrl).get('/resilience/breakers').set('authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(breakers.status).toBe(200);
    expect(breakers.body.breakers.map((b: { name: string }) => b.name).toSorted()).toEqual(['database', 'downstream']);
    const components = await request(daemon.httpUrl).get('/resilience/components').set('authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(components.body.components.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['database', 'downstream', 'breaker:database']));
  });

  it('force-opens the downstream breaker from the CLI: EnrichRecord answers the fallback until it is reset', async () => {
    const since = await lastEventId();
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'admin' });
    await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false });

    const opened = await cli(['breaker', 'downstream', 'force-open', '--reason', 'quote service maintenance'], env);
    expect(opened).toMatchObject({ code: 0, err: [] });
    expect(opened.json()).toMatchObject({
      event: { type: 'operator.action', action: 'force-open', breaker: 'downstream', actor: 'operator', reason: 'quote service maintenance', to: 'FORCED_OPEN' },
      breaker: { name: 'downstream', state: 'FORCED_OPEN', reason: 'quote service maintenance' },
    });
    await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: true });

    const shown = await cli(['breaker', 'downstream'], env);
    expect(shown.json()).toMatchObject({ state: 'FORCED_OPEN', reason: 'quote service maintenance', retryAfterMs: null });
    expect((shown.json().metrics as { calls: { notPermitted: number } }).calls.notPermitted).toBeGreaterThan(0);

    expect((await cli(['breaker', 'downstream', 'reset', '--reason', 'maintenance over'], env)).code).toBe(0);
    await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false });

    const listed = await cli(['breakers'], env);
    expect((listed.json().breakers as { name: string; state: string }[]).find((b) => b.name === 'downstream')).toMatchObject({ state: 'CLOSED' });
    const history = await cli(['events', '--since', String(since)], env);
    const actions = (history.json().events as { type: string; action?: string }[]).filter((e) => e.type === 'operator.action').map((e) => e.action);
    expect(actions).toEqual(['force-open', 'reset']);
  });

  it('lists components and follows events (events --follow) until stopped', async () => {
    const components = await cli(['components'], env);
    expect(components.code).toBe(0);
    expect((components.json().components as { name: string }[]).length).toBeGreaterThan(0);

    const since = await lastEventId();
    const stop = new AbortController();
    const lines: string[] = [];
    const following = runCli(['events', '--follow', '--since', String(since)], { out: (line) => lines.push(line), err: (line) => lines.push(`ERR ${line}`), env, signal: stop.signal });
    // The follow replays what is kept after `since`, then goes live: an action taken now shows up as a JSON line.
    const deadline = Date.now() + 10_000;
    await cli(['breaker', 'database', 'metrics-only', '--reason', 'shadow mode'], env);
    while (!lines.some((line) => line.includes('"operator.action"'))) {
      if (Date.now() > deadline) throw new Error(`no operator event followed; got ${lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    stop.abort();
    await expect(following).resolves.toBe(0);
    const action = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((event) => event.type === 'operator.action');
    expect(action).toMatchObject({ breaker: 'database', action: 'metrics-only', reason: 'shadow mode' });
    expect((await cli(['breaker', 'database', 'reset', '--reason', 'shadow mode over'], env)).code).toBe(0);
  });

  it('gives clear errors for a missing token (401), a wrong one (403), an unknown breaker (404) and bad usage', async () => {
    const none = await cli(['breakers'], { ENGINED_HTTP: env.ENGINED_HTTP });
    expect(none).toMatchObject({ code: 1, err: ['401 Unauthorized: the admin API needs a token: set ADMIN_TOKEN or pass --token'] });
    const wrong = await cli(['breakers', '--token', 'not-the-token-0123456789'], env);
    expect(wrong).toMatchObject({ code: 1, err: ["403 Forbidden: the admin API refused the token (it is not the daemon's ADMIN_TOKEN)"] });
    expect(wrong.err.join('')).not.toContain('not-the-token');
    const unknown = await cli(['breaker', 'nope', 'force-open', '--reason', 'x'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.err[0]).toMatch(/^404 Not Found: No circuit breaker named "nope" \(known: /);
    const noReason = await cli(['breaker', 'database', 'force-open'], env);
    expect(noReason.code).toBe(2);
    expect(noReason.err[0]).toMatch(/^breaker force-open needs --reason <why>/);
    const badAction = await cli(['breaker', 'database', 'explode', '--reason', 'x'], env);
    expect(badAction.code).toBe(2);
    expect(badAction.err[0]).toMatch(/^unknown breaker action "explode"/);
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const refused = await cli(['breakers', '--http', closed], env);
    expect(refused).toMatchObject({ code: 1, err: [`cannot reach the daemon's HTTP side at ${closed}: ECONNREFUSED`] });
  });
});

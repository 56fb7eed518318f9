import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { CheckContext, HealthComponentDefinition } from '../../libs/resilience/src/health/health-component.options.js';
import type { HealthModuleOptions } from '../../libs/resilience/src/health/health-module.options.js';
import { HealthModule } from '../../libs/resilience/src/health/health.module.js';
import { HealthRegistry } from '../../libs/resilience/src/health/health.registry.js';
import { ComponentHealthIndicator } from '../../libs/resilience/src/terminus/component-health.indicator.js';
import { FakeClock } from '../../libs/resilience/src/testing/fake-clock.js';
import { deferred, scriptedCheck } from './support/harness.js';
import { RecordingLogger } from './support/recording-logger.js';

const START = Date.parse('2026-03-01T12:00:00.000Z');

interface Served {
  app: INestApplication;
  url: string;
  clock: FakeClock;
  registry: HealthRegistry;
  logger: RecordingLogger;
}

/** Time moves only through the FakeClock, so the HTTP server and client run on real timers. */
async function serve(options: HealthModuleOptions, http: HealthModuleOptions['http'] = { details: 'always' }): Promise<Served> {
  const logger = new RecordingLogger();
  const clock = new FakeClock(START);
  const module = await Test.createTestingModule({
    imports: [HealthModule.forRoot({ clock, startupGraceMs: 0, drainDelayMs: 0, http, ...options })],
  })
    .setLogger(logger)
    .compile();
  const app = module.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl(), clock, registry: app.get(HealthRegistry), logger };
}

/** A Terminus response body (the detailed parts absent when details are hidden). */
interface HealthBody {
  status: string;
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as HealthBody, headers: response.headers };
}

/** What Nest's shutdown hook does when the process receives `signal`. */
function closeOnSignal(app: INestApplication, signal: string): Promise<void> {
  return (app as unknown as { close(signal?: string): Promise<void> }).close(signal);
}

function components(checks: Record<string, ReturnType<typeof scriptedCheck>>): HealthComponentDefinition[] {
  return [
    { name: 'db', type: 'database', check: checks.db!.fn, failureThreshold: 1, heal: () => undefined },
    { name: 'cache', type: 'cache', critical: false, check: checks.cache!.fn, failureThreshold: 1 },
    { name: 'loop', type: 'internal', probes: ['liveness'], check: checks.loop!.fn, failureThreshold: 1 },
    { name: 'warmup', probes: ['startup'], check: checks.warmup!.fn, failureThreshold: 1 },
  ];
}

describe('Terminus endpoints over HTTP', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.app.close();
    served?.logger.assertNoUnexpectedErrors();
    served = undefined;
  });

  async function start(http?: HealthModuleOptions['http'], options: HealthModuleOptions = {}) {
    const checks = { db: scriptedCheck(true), cache: scriptedCheck(true), loop: scriptedCheck(true), warmup: scriptedCheck(true) };
    served = await serve({ components: components(checks), ...options }, http);
    await served.registry.runNow();
    return checks;
  }

  it('serves every component at GET /health in Terminus’ shape, 200 when all pass', async () => {
    await start();
    const { status, body, headers } = await get(`${served!.url}/health`);
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(body.status).toBe('ok');
    expect(Object.keys(body.details)).toEqual(['db', 'cache', 'loop', 'warmup']);
    expect(body.error).toEqual({});
    expect(body.info.db).toEqual({
      status: 'up',
      health: 'HEALTHY',
      type: 'database',
      critical: true,
      lastCheckedAt: '2026-03-01T12:00:00.000Z',
      latencyMs: 0,
      consecutiveFailures: 0,
      stale: false,
      heal: { state: 'IDLE', attempts: 0, lastAttemptAt: null, lastResult: null, nextAttemptAt: null },
    });
  });

  it('answers 503 on /health/ready with a failing critical component, its message redacted', async () => {
    const checks = await start();
    checks.db.answer(new Error('connect ECONNREFUSED postgres://orders:s3cret@10.0.0.5:5432/orders (password=hunter2)'));
    await served!.registry.runNow('db');
    const { status, body } = await get(`${served!.url}/health/ready`);
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(Object.keys(body.details).toSorted()).toEqual(['cache', 'db']);
    expect(body.error.db).toMatchObject({
      status: 'down',
      health: 'UNHEALTHY',
      consecutiveFailures: 2, // the failing check, then the re-check after the automatic heal
      message: 'connect ECONNREFUSED postgres://orders:***@10.0.0.5:5432/orders (password=***)',
    });
    expect(JSON.stringify(body)).not.toMatch(/s3cret|hunter2/);
  });

  it('answers 200 degraded when only a non-critical component fails', async () => {
    const checks = await start();
    checks.cache.answer(false);
    await served!.registry.runNow('cache');
    const { status, body } = await get(`${served!.url}/health/ready`);
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.info.cache).toMatchObject({ status: 'degraded', health: 'UNHEALTHY', critical: false });
  });

  it('keeps /health/live at 200 while a readiness dependency is down, and serves the startup group', async () => {
    const checks = await start();
    checks.db.answer(false);
    await served!.registry.runNow('db');
    const live = await get(`${served!.url}/health/live`);
    expect(live.status).toBe(200);
    expect(Object.keys(live.body.details)).toEqual(['loop']);
    const startup = await get(`${served!.url}/health/startup`);
    expect(startup.status).toBe(200);
    expect(Object.keys(startup.body.details)).toEqual(['warmup']);
    checks.loop.answer(false);
    await served!.registry.runNow('loop');
    expect((await get(`${served!.url}/health/live`)).status).toBe(503);
  });

  it('answers from snapshots: a probe never runs a check and does not wait for a hanging one', async () => {
    const checks = await start();
    const hang = deferred<boolean>();
    checks.db.answer(() => hang.promise);
    void served!.registry.runNow('db'); // the next check hangs
    await new Promise((resolve) => setImmediate(resolve));
    const before = checks.db.calls();
    expect(served!.registry.get('db')?.status).toBe('HEALTHY');
    for (let i = 0; i < 20; i++) expect((await get(`${served!.url}/health/ready`)).status).toBe(200);
    expect(checks.db.calls()).toBe(before);
    hang.resolve(true);
  });

  it('answers every probe while a check never resolves: requests read snapshots, run nothing and wait for nothing', async () => {
    const signals: AbortSignal[] = [];
    const never = jest.fn(({ signal }: CheckContext) => {
      signals.push(signal);
      return new Promise<boolean>(() => undefined); // never settles, and ignores its signal
    });
    served = await serve({
      components: [
        { name: 'db', check: () => true },
        { name: 'stuck', critical: false, check: never, timeoutMs: 10_000 },
      ],
    });
    served.clock.advance(0); // both first checks start; the clock never reaches the 10 s timeout
    await new Promise((resolve) => setImmediate(resolve));
    expect(never).toHaveBeenCalledTimes(1);

    const ready = await get(`${served.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded'); // the unchecked non-critical component degrades, it does not block
    expect(ready.body.info.stuck).toMatchObject({ status: 'degraded', health: 'UNKNOWN', lastCheckedAt: null });
    expect(ready.body.info.db).toMatchObject({ status: 'up', health: 'HEALTHY' });
    for (const route of ['', '/live', '/startup']) expect((await get(`${served.url}/health${route}`)).status).toBe(200);
    expect(never).toHaveBeenCalledTimes(1);
    expect(served.registry.get('stuck')).toMatchObject({ status: 'UNKNOWN', lastCheckedAt: undefined });

    // Closing does not wait for it either: its signal is aborted and no timer is left.
    const { app, clock } = served;
    served = undefined;
    await app.close();
    expect(signals[0]!.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it("hides every detail with details: 'never'", async () => {
    const checks = await start({ details: 'never' });
    expect(await get(`${served!.url}/health`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(Object.keys((await get(`${served!.url}/health`)).body)).toEqual(['status']);
    checks.db.answer(false);
    await served!.registry.runNow('db');
    const failed = await get(`${served!.url}/health/ready`);
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ status: 'error' });
  });

  it("shows details only to a matching bearer token with details: 'token'", async () => {
    await start({ details: 'token', token: 'letmein' });
    const url = `${served!.url}/health`;
    expect((await get(url)).body).toEqual({ status: 'ok' });
    expect((await get(url, { authorization: 'Bearer wrong' })).body).toEqual({ status: 'ok' });
    expect((await get(url, { authorization: 'letmein' })).body).toEqual({ status: 'ok' });
    expect(Object.keys((await get(url, { authorization: 'Bearer letmein' })).body.details)).toEqual(['db', 'cache', 'loop', 'warmup']);
  });

  it('answers with the same status whether details are shown or hidden, in every state', async () => {
    const checks = await start({ details: 'token', token: 'letmein' });
    const { url, registry } = served!;
    const both = async (route: string) => {
      const hidden = await get(`${url}/health${route}`);
      const shown = await get(`${url}/health${route}`, { authorization: 'Bearer letmein' });
      expect(Object.keys(hidden.body)).toEqual(['status']);
      expect(shown.body.details).toBeDefined();
      expect([hidden.status, hidden.body.status]).toEqual([shown.status, shown.body.status]);
      return `${hidden.status} ${hidden.body.status}`;
    };
    const all = async () => [await both(''), await both('/live'), await both('/ready'), await both('/startup')];

    expect(await all()).toEqual(['200 ok', '200 ok', '200 ok', '200 ok']);
    checks.cache.answer(false);
    await registry.runNow('cache');
    expect(await all()).toEqual(['200 degraded', '200 ok', '200 degraded', '200 ok']);
    checks.db.answer(false);
    await registry.runNow('db');
    expect(await all()).toEqual(['503 error', '200 ok', '503 error', '200 ok']);
    registry.beginShutdown('SIGTERM');
    expect(await all()).toEqual(['503 shutting_down', '200 ok', '503 shutting_down', '503 shutting_down']);
  });

  it('builds no component detail for a probe that may not see it', async () => {
    const indicate = jest.spyOn(ComponentHealthIndicator.prototype, 'indicate');
    try {
      await start({ details: 'token', token: 'letmein' });
      for (const route of ['', '/live', '/ready', '/startup']) await get(`${served!.url}/health${route}`);
      expect(indicate).not.toHaveBeenCalled();
      await get(`${served!.url}/health/ready`, { authorization: 'Bearer letmein' });
      expect(indicate.mock.calls.map(([snapshot]) => snapshot.name)).toEqual(['db', 'cache']);
    } finally {
      indicate.mockRestore();
    }
  });

  it('mounts under a configured path', async () => {
    await start({ path: '/healthz/', details: 'never' });
    expect((await get(`${served!.url}/healthz/ready`)).status).toBe(200);
    expect((await fetch(`${served!.url}/health/ready`)).status).toBe(404);
  });

  it('mounts no controller when http is disabled', async () => {
    await start({ enabled: false });
    expect((await fetch(`${served!.url}/health`)).status).toBe(404);
    expect(served!.registry.get('db')?.status).toBe('HEALTHY');
  });

  it('shows heal state and escalation of a component that gave up', async () => {
    const checks = await start({ details: 'always' });
    checks.db.answer(false);
    served!.registry.register({
      name: 'mq',
      type: 'queue',
      critical: false,
      check: () => false,
      heal: () => undefined,
      failureThreshold: 1,
      healing: { maxAttempts: 1 },
    });
    await served!.registry.runNow('mq');
    const { status, body } = await get(`${served!.url}/health/ready`);
    expect(status).toBe(503);
    expect(body.error.mq).toMatchObject({
      status: 'down',
      health: 'UNHEALTHY',
      escalation: 'readiness',
      heal: { state: 'GAVE_UP', attempts: 1, lastResult: 'failure', lastAttemptAt: '2026-03-01T12:00:00.000Z' },
    });
    expect(served!.logger.takeErrors()).toEqual([
      '[HealthRegistry] Health component "mq": gave up healing after 1 attempt within 300000 ms',
      '[HealthRegistry] Health component "mq": escalated to readiness',
    ]);
  });

  it.each([true, false])('on SIGTERM (isGlobal: %s): readiness answers 503 at once, liveness stays 200, and the app closes after the drain delay', async (isGlobal) => {
    await start({ details: 'always' }, { drainDelayMs: 5_000, isGlobal } as HealthModuleOptions);
    const { app, url, clock, registry } = served!;
    served = undefined; // this test closes the app itself
    let closed = false;
    const closing = closeOnSignal(app, 'SIGTERM').then(() => (closed = true));
    while (registry.phase !== 'draining') await new Promise((resolve) => setImmediate(resolve));

    const ready = await get(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe('shutting_down');
    expect((await get(`${url}/health`)).status).toBe(503);
    expect((await get(`${url}/health/live`)).status).toBe(200);

    clock.advance(4_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    expect((await get(`${url}/health/live`)).status).toBe(200);

    clock.advance(1);
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow('fetch failed');
    expect(clock.pendingTimers).toBe(0);
  });
});

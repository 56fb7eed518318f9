import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import request from 'supertest';
import { createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from './support/cleanup.js';
import { DaemonProcess, MAINS, withoutColours } from './support/daemon-process.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';

// A real process starts in seconds (sources transpiled on load, the embedded database created): give
// each test room. Nothing below waits on time; every step waits on a log line, a response or an exit.
const PROCESS_TEST_MS = 90_000;

/** Ephemeral ports and no drain delay, so a process can start next to others and stop at once. */
const EPHEMERAL = { GRPC_PORT: '0', HTTP_PORT: '0', DOWNSTREAM_PORT: '0', SHUTDOWN_DRAIN_MS: '0' };

/** The daemon's warnings and errors so far, for failure messages. */
function problems(daemon: DaemonProcess): string {
  return daemon.lines.filter((line) => /"level":"(warn|error|fatal)"|\b(WARN|ERROR|FATAL)\b/.test(line)).join('\n') || '(none)';
}

/** Creates a record; a failure names the daemon's warnings and errors. */
async function createRecord(daemon: DaemonProcess, client: RecordsClient, name: string, payload = '') {
  const outcome = await client.call<{ id: string; name: string }>('CreateRecord', { name, payload });
  if (!outcome.ok) throw new Error(`CreateRecord: ${outcome.error.code} ${outcome.error.details}; the daemon logged: ${problems(daemon)}`);
  return outcome.value;
}

describe('the daemon as a process (node apps/engined/src/main.ts)', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  /** A fresh working directory, optionally holding a `.env` file. */
  async function workDir(dotEnv?: string): Promise<string> {
    const dir = cleanup.add(await mkdtemp(join(tmpdir(), 'engined-process-')), (d) => rm(d, { recursive: true, force: true }));
    if (dotEnv !== undefined) await writeFile(join(dir, '.env'), dotEnv);
    return dir;
  }

  function start(env: Record<string, string>, cwd: string, main: string = MAINS.engined): DaemonProcess {
    return cleanup.add(DaemonProcess.start(env, cwd, main), (daemon) => daemon.stop());
  }

  /** Waits until the daemon serves; returns the clients. */
  async function whenReady(daemon: DaemonProcess) {
    const { grpcTarget, httpUrl } = await daemon.listening();
    const client = cleanup.add(new RecordsClient(grpcTarget), (c) => c.close());
    const health = cleanup.add(createHealthClient(grpcTarget), (c) => c.close());
    const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
    await readiness.next('SERVING');
    return { client, httpUrl };
  }

  it(
    'exits 1 with one line naming a bad variable, from the environment or from .env',
    async () => {
      const fromEnv = start({ GRPC_PORT: 'abc' }, await workDir());
      await expect(fromEnv.exited).resolves.toEqual({ code: 1, signal: null });
      expect(fromEnv.stderr).toBe('engined: Invalid environment: GRPC_PORT must be an integer from 0 to 65535 (got "abc")\n');

      const fromFile = start({}, await workDir('LOG_FORMAT=yaml\nDATABASE_URL=mysql://root:hunter2@db/app\n'));
      await expect(fromFile.exited).resolves.toEqual({ code: 1, signal: null });
      expect(fromFile.stderr).toBe(
        'engined: Invalid environment: DATABASE_URL must use the postgres:// or postgresql:// scheme (got "mysql://root:***@db/app"); ' +
          'LOG_FORMAT must be one of text, json (got "yaml")\n',
      );
      expect(fromFile.lines).toEqual([]);
    },
    PROCESS_TEST_MS,
  );

  it(
    'exits 1 with one stderr line naming the variable when it cannot listen (grpc-js and Nest would log the failure first)',
    async () => {
      const squatter = cleanup.add(createServer(), (s) => new Promise((resolve) => s.close(resolve)));
      await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
      const taken = String((squatter.address() as AddressInfo).port);
      // Every listener and cause is in test/app/startup.e2e-spec.ts; these two cross the loggers that wrote
      // more lines: grpc-js (a port in use) and Nest's HTTP listen (a host that does not resolve: .invalid, RFC 6761).
      const cases: [Record<string, string>, string][] = [
        [{ GRPC_PORT: taken }, `engined: cannot listen on 127.0.0.1:${taken} for the gRPC API: the port is in use by another process (set GRPC_PORT)`],
        [{ HTTP_HOST: 'engined.invalid' }, 'engined: cannot listen on engined.invalid:0 for HTTP: the host name does not resolve (set HTTP_HOST)'],
      ];
      const cwd = await workDir();
      const daemons = cases.map(([env]) => start({ ...EPHEMERAL, ...env }, cwd));
      const outcomes = await Promise.all(daemons.map(async (daemon) => ({ exit: await daemon.exited, stderr: daemon.stderr })));
      expect(outcomes).toEqual(cases.map(([, line]) => ({ exit: { code: 1, signal: null }, stderr: `${line}\n` })));
    },
    PROCESS_TEST_MS,
  );

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'reads .env (the environment wins), logs JSON lines, serves, and on %s closes cleanly and exits 0',
    async (signal) => {
      // .env asks for JSON logs and a bad HTTP port; the environment overrides the port.
      const cwd = await workDir('LOG_FORMAT=json\nHTTP_PORT=not-a-port\n');
      const daemon = start({ ...EPHEMERAL, HTTP_PORT: '0', HEALTH_TOKEN: 'do-not-log-me', ADMIN_TOKEN: 'do-not-log-this-admin-token' }, cwd);
      const { client, httpUrl } = await whenReady(daemon);
      await expect(createRecord(daemon, client, `before ${signal}`)).resolves.toMatchObject({ name: `before ${signal}` });
      expect((await request(httpUrl).get('/health/ready')).status).toBe(200);
      const admin = await request(httpUrl).post('/resilience/breakers/database/reset').set('authorization', 'Bearer do-not-log-this-admin-token').send({ reason: 'process test' });
      expect(admin.status).toBe(200);
      expect((await request(httpUrl).get('/metrics')).text).toMatch(/^grpc_server_handled_total\{.*grpc_method="CreateRecord",grpc_code="OK"\} 1$/m);

      daemon.signal(signal);
      await expect(daemon.exited).resolves.toEqual({ code: 0, signal: null });
      expect(daemon.stderr).toBe('');
      const logged = daemon.lines.map((line) => JSON.parse(line) as { level: string; message: string; context?: string });
      expect(logged.map((l) => l.message)).toEqual(expect.arrayContaining(['embedded PostgreSQL stopped', 'in-process downstream stopped']));
      expect(logged.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
      expect(daemon.lines.join('\n')).not.toContain('do-not-log-me');
      expect(daemon.lines.join('\n')).not.toContain('do-not-log-this-admin-token');
      expect(logged.map((l) => l.message)).toContainEqual(expect.stringContaining('Operator action reset on breaker "database" by operator, reason "process test"'));
      // The process is gone: the client can no longer reach it.
      const after = await client.call('GetRecord', { id: '00000000-0000-4000-8000-000000000000' });
      expect(after.ok ? 'ok' : after.error.code).toBe(status.UNAVAILABLE);
    },
    PROCESS_TEST_MS,
  );

  it(
    'calls a separately started downstream (npm run start:downstream, then DOWNSTREAM_URL); both stop cleanly',
    async () => {
      const cwd = await workDir();
      const downstream = start({ DOWNSTREAM_PORT: '0', SHUTDOWN_DRAIN_MS: '0' }, cwd, MAINS.downstream);
      const [, target] = /listening on (\S+)/.exec(withoutColours(await downstream.line(/downstream quote service listening on /)))!;

      const daemon = start({ ...EPHEMERAL, DOWNSTREAM_URL: target! }, cwd);
      const { client } = await whenReady(daemon);
      const record = await createRecord(daemon, client, 'resilience');
      await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false, quoteAuthor: expect.any(String) });
      expect(daemon.lines.some((line) => line.includes('in-process downstream'))).toBe(false);

      daemon.signal('SIGTERM');
      downstream.signal('SIGTERM');
      await expect(Promise.all([daemon.exited, downstream.exited])).resolves.toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    },
    PROCESS_TEST_MS,
  );

  it(
    'keeps an acknowledged write in PGLITE_DATA_DIR through a crash (SIGKILL) and a restart, creating the directory and its parents',
    async () => {
      const cwd = await workDir();
      // The README's own setting, relative to the working directory, where neither .data nor .data/pglite exists yet.
      const env = { ...EPHEMERAL, PGLITE_DATA_DIR: './.data/pglite' };

      const first = start(env, cwd);
      const { client } = await whenReady(first);
      const acknowledged = await createRecord(first, client, 'survives a crash', '{"n":1}');
      expect(existsSync(join(cwd, '.data', 'pglite', 'PG_VERSION'))).toBe(true);
      // No shutdown, no flush: the process dies the moment the write is acknowledged.
      first.signal('SIGKILL');
      await expect(first.exited).resolves.toEqual({ code: null, signal: 'SIGKILL' });

      const second = start(env, cwd);
      const { client: again } = await whenReady(second);
      await expect(again.ok('GetRecord', { id: acknowledged.id })).resolves.toEqual(acknowledged);
      // The schema was already there: nothing to migrate on the restart.
      expect(second.lines.some((line) => line.includes('schema migrated'))).toBe(false);
      second.signal('SIGTERM');
      await expect(second.exited).resolves.toEqual({ code: 0, signal: null });
    },
    PROCESS_TEST_MS,
  );
});

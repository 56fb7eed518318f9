import { MIGRATIONS } from '../../apps/engined/src/database/migrations.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { checkHealth, createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { PostgresServer } from '../support/postgres-server.js';
import { within } from '../support/within.js';
import { Cleanup } from './support/cleanup.js';
import { DaemonProcess, withoutColours } from './support/daemon-process.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';

// A real process starts in seconds (sources transpiled on load): give each test room. Every step waits on a
// log line, a response, a health status or an exit, each with a deadline.
const PROCESS_TEST_MS = 90_000;
const EPHEMERAL = { GRPC_PORT: '0', HTTP_PORT: '0', DOWNSTREAM_PORT: '0', SHUTDOWN_DRAIN_MS: '0' };

describe('starting the daemon while its PostgreSQL is down (node apps/engined/src/main.ts)', () => {
  const cleanup = new Cleanup();
  let pg: PostgresServer;

  beforeAll(async () => {
    // A cluster on a known port, stopped: DATABASE_URL points at a server that is not there yet.
    pg = await PostgresServer.start();
    await pg.stop();
  });
  afterEach(() => cleanup.run());
  afterAll(async () => {
    await pg?.close();
  });

  async function start(env: Record<string, string>): Promise<DaemonProcess> {
    const cwd = cleanup.add(await mkdtemp(join(tmpdir(), 'engined-startup-')), (d) => rm(d, { recursive: true, force: true }));
    return cleanup.add(DaemonProcess.start({ ...EPHEMERAL, DATABASE_URL: pg.url, ...env }, cwd), (daemon) => daemon.stop());
  }

  it(
    'waits by default: comes up with startup and readiness NOT_SERVING and liveness SERVING, then serves once the database appears',
    async () => {
      const daemon = await start({});
      const { grpcTarget } = await daemon.listening();
      const health = cleanup.add(createHealthClient(grpcTarget), (c) => c.close());
      const client = cleanup.add(new RecordsClient(grpcTarget), (c) => c.close());
      const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
      expect(withoutColours(await daemon.line(/database unavailable at start/))).toMatch(
        /database unavailable at start \(connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying with backoff, startup and readiness fail until it answers \(DATABASE_STARTUP=wait\)/,
      );
      await expect(checkHealth(health, 'startup', 5_000)).resolves.toBe('NOT_SERVING');
      await expect(checkHealth(health, 'readiness', 5_000)).resolves.toBe('NOT_SERVING');
      await expect(checkHealth(health, 'liveness', 5_000)).resolves.toBe('SERVING');
      const refused = await client.call('CreateRecord', { name: 'too early' });
      expect(refused.ok ? 'ok' : [refused.error.code, refused.error.details]).toEqual([status.UNAVAILABLE, 'database unavailable']);

      await pg.start();
      const startedAt = Date.now();
      await within(readiness.next('SERVING'), 20_000, 'readiness SERVING once the database is up');
      const servedAfterMs = Date.now() - startedAt;
      await within(daemon.line(/database ready at /), 1_000, 'the "database ready" log line');
      expect(withoutColours(await daemon.line(/schema migrated/))).toContain(`schema migrated: applied ${MIGRATIONS.map((m) => m.version).join(', ')}`);
      await expect(checkHealth(health, 'startup', 5_000)).resolves.toBe('SERVING');
      await expect(client.ok('CreateRecord', { name: 'once it is up' })).resolves.toMatchObject({ name: 'once it is up' });
      console.log(`[database startup] readiness SERVING ${servedAfterMs} ms after the database started`);

      daemon.signal('SIGTERM');
      await expect(daemon.exited).resolves.toEqual({ code: 0, signal: null });
      await pg.stop();
    },
    PROCESS_TEST_MS,
  );

  it(
    'fails fast with DATABASE_STARTUP=fail: exit 1 with one line',
    async () => {
      const daemon = await start({ DATABASE_STARTUP: 'fail' });
      await expect(daemon.exited).resolves.toEqual({ code: 1, signal: null });
      expect(daemon.stderr).toMatch(/^engined: failed to start: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/);
    },
    PROCESS_TEST_MS,
  );
});

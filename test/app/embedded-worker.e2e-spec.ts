import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { HealState, HealthRegistry, HealthStatus } from '@engined/resilience/health';
import { filter, firstValueFrom } from 'rxjs';
import request from 'supertest';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from './support/cleanup.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';

/** Starts PGlite in a worker twice (a WebAssembly module: seconds on a loaded machine). */
const WORKER_TEST_MS = 120_000;

describe('the embedded database in its worker thread (PGLITE_THREAD=worker, the default)', () => {
  const clock = new FakeClock();
  let daemon: EnginedApp;
  let client: RecordsClient;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    // No startup grace: the heal may run as soon as the database fails (time only moves with `clock`).
    daemon = await startEnginedApp({ HEALTH_STARTUP_GRACE_MS: '0' }, clock);
    client = new RecordsClient(daemon.grpcTarget);
  }, WORKER_TEST_MS);

  afterEach(() => cleanup.run());

  afterAll(async () => {
    client?.close();
    await daemon?.close();
  });

  it(
    'a crash of the worker fails the database and readiness with the reason; the heal starts it again, migrated, and the daemon serves',
    async () => {
      const registry = daemon.app.get(HealthRegistry);
      const embedded = daemon.app.get(EmbeddedPostgres);
      const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
      const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
      await registry.runNow();
      await readiness.next('SERVING');
      const before = await client.ok<{ id: string }>('CreateRecord', { name: 'before the crash' });
      const url = embedded.url;

      await embedded.kill();
      expect(embedded.running).toBe(false);
      expect(embedded.failure).toBe("the embedded database's worker thread died (it exited with code 1)");
      // The daemon itself is alive: liveness passes, calls fail UNAVAILABLE.
      const refused = await client.call('GetRecord', { id: before.id });
      expect(refused.ok ? 'ok' : [refused.error.code, refused.error.details]).toEqual([status.UNAVAILABLE, 'database unavailable']);
      expect((await request(daemon.app.getHttpServer()).get('/health/live')).status).toBe(200);

      const healed = firstValueFrom(registry.events$.pipe(filter((e) => e.type === 'heal_attempt' && e.component === 'database' && e.result !== 'skipped')));
      for (let i = 0; i < 5 && registry.get('database')!.status !== HealthStatus.UNHEALTHY; i++) await registry.runNow('database');
      expect(registry.get('database')!.status).toBe(HealthStatus.UNHEALTHY);
      expect(registry.get('database')!.message).toContain("the embedded database's worker thread died");
      await readiness.next('NOT_SERVING');

      // The heal (at once: it is the first attempt) restarts the worker on the same port and migrates it;
      // the next check verifies it.
      await until(() => registry.get('database')!.heal?.state === HealState.HEALING && embedded.running);
      clock.advance(daemon.config.health.checkIntervalMs);
      await expect(healed).resolves.toMatchObject({ result: 'success', verified: true, attempt: 1 });
      expect(embedded).toMatchObject({ running: true, failure: undefined, url });
      expect(registry.get('database')!.status).toBe(HealthStatus.HEALTHY);
      await readiness.next('SERVING');

      // In memory, the records died with the worker (PGLITE_DATA_DIR keeps them); the schema is back.
      const lost = await client.call('GetRecord', { id: before.id });
      expect(lost.ok ? 'ok' : lost.error.code).toBe(status.NOT_FOUND);
      const after = await client.ok<{ id: string; name: string }>('CreateRecord', { name: 'after the crash' });
      await expect(client.ok('GetRecord', { id: after.id })).resolves.toMatchObject({ name: 'after the crash' });
    },
    WORKER_TEST_MS,
  );

  it(
    'closing the daemon ends the worker thread on its own (exit code 0) and closes the port',
    async () => {
      const embedded = daemon.app.get(EmbeddedPostgres);
      const thread = (embedded as unknown as { host: { exitCode: number | undefined } }).host;
      const { Client } = await import('pg');
      const probe = new Client({ connectionString: embedded.url });
      await probe.connect();
      await probe.end();

      await daemon.close();
      expect(thread.exitCode).toBe(0);
      expect(embedded.running).toBe(false);
      const refused = new Client({ connectionString: embedded.url });
      await expect(refused.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    },
    WORKER_TEST_MS,
  );
});

/** Polls `condition` on real time (the heal runs on its own promise chain), up to 60 s. */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 60_000; !condition(); ) {
    if (Date.now() > deadline) throw new Error('until: condition not met within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

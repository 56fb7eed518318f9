import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { HealthRegistry } from '@engined/resilience/health';
import { Client } from 'pg';
import request from 'supertest';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { checkHealth, createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from './support/cleanup.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';

/** Resolves once `predicate` holds, checking once per event-loop turn (no timers). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setImmediate(resolve));
}

describe('graceful shutdown on SIGTERM', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('turns readiness off, drains, lets the in-flight call finish, refuses new calls, then releases everything', async () => {
    const clock = new FakeClock();
    const daemon = cleanup.add(await startEnginedApp({ SHUTDOWN_DRAIN_MS: '5000' }, clock), (d) => d.close());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
    const embedded = daemon.app.get(EmbeddedPostgres);
    const databaseUrl = embedded.url;
    // Every component checked once (time is fake, so the schedule alone would not run them): ready.
    await daemon.app.get(HealthRegistry).runNow();

    // A transaction held on another connection makes the daemon's INSERT wait: a call kept in flight.
    const blocker = cleanup.add(new Client({ connectionString: embedded.url }), (c) => c.end());
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1');
    const inFlight = client.call<{ name: string }>('CreateRecord', { name: 'in flight during shutdown' }, 30_000);
    await until(() => embedded.queuedQueries > 0);

    const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
    const liveness = cleanup.add(new HealthWatch(health, 'liveness'), (w) => w.cancel());
    await readiness.next('SERVING');
    await liveness.next('SERVING');
    const closing = daemon.close('SIGTERM');

    // Draining: readiness is off at once, liveness stays on, and the daemon still answers.
    await readiness.next('NOT_SERVING');
    await expect(checkHealth(health, 'liveness', 5_000)).resolves.toBe('SERVING');
    const http = request(daemon.app.getHttpServer());
    expect((await http.get('/health/ready')).status).toBe(503);
    expect((await http.get('/health/live')).status).toBe(200);
    const during = await client.call('GetRecord', { id: 'not-a-uuid' });
    expect(during.ok ? 'ok' : during.error.code).toBe(status.INVALID_ARGUMENT);

    // The drain delay passes: the gRPC server stops taking calls (answers until then are INVALID_ARGUMENT).
    clock.advance(5_000);
    let refused;
    do refused = await client.call('GetRecord', { id: 'not-a-uuid' });
    while (!refused.ok && refused.error.code === status.INVALID_ARGUMENT);
    expect(refused.ok ? 'ok' : refused.error.code).toBe(status.UNAVAILABLE);

    // The call that was in flight still completes, and is acknowledged.
    await blocker.query('COMMIT');
    const finished = await inFlight;
    expect(finished.ok ? finished.value : finished.error).toMatchObject({ name: 'in flight during shutdown' });
    await closing;

    // The gRPC server stopped: every service went NOT_SERVING for good, and open Watch streams were ended.
    await liveness.next('NOT_SERVING');
    expect(liveness.seen).toEqual(['SERVING', 'NOT_SERVING']);
    expect((await liveness.ended).code).toBe(status.OK);
    expect((await readiness.ended).code).toBe(status.OK);
    // The database was closed last: its port no longer answers.
    await expect(new Client({ connectionString: databaseUrl }).connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('cuts off a call still running SHUTDOWN_TIMEOUT_MS after the server stopped accepting', async () => {
    const clock = new FakeClock();
    const daemon = cleanup.add(await startEnginedApp({ SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000' }, clock), (d) => d.close());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const embedded = daemon.app.get(EmbeddedPostgres);
    const blocker = cleanup.add(new Client({ connectionString: embedded.url }), (c) => c.end());
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1');
    const stuck = client.call('CreateRecord', { name: 'never acknowledged' }, 30_000);
    await until(() => embedded.queuedQueries > 0);

    const closing = daemon.close('SIGTERM');
    let refused;
    do refused = await client.call('GetRecord', { id: 'not-a-uuid' });
    while (!refused.ok && refused.error.code === status.INVALID_ARGUMENT);

    // The grace period passes: the call is cut off and the client is told so (never a silent success).
    clock.advance(1_000);
    const outcome = await stuck;
    expect(outcome.ok).toBe(false);
    expect([status.CANCELLED, status.UNAVAILABLE]).toContain((outcome as { error: { code: number } }).error.code);
    // Releasing the database lets the pool close; the shutdown completes.
    await blocker.query('ROLLBACK');
    await closing;
  });
});

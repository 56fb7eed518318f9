import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { Client } from 'pg';
import { BreakerRegistry, BulkheadRegistry, CircuitState } from '@engined/resilience';
import { Database } from '../../apps/engined/src/database/database.js';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { scrape, valueOf } from '../metrics/scrape.js';
import { PostgresServer } from '../support/postgres-server.js';
import { Cleanup } from './support/cleanup.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { RecordsClient } from './support/records-client.js';

/** Yields to the event loop until `done()` holds: waits on the pool's state, not on time. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Another session holds a transaction open, so the pool's connections wait behind it until `COMMIT`: the
 * embedded server runs one transaction at a time; a real server waits for the table lock that transaction holds.
 */
async function holdTransaction(url: string, lockTable: boolean, cleanup: Cleanup): Promise<Client> {
  const blocker = new Client({ connectionString: url });
  await blocker.connect();
  cleanup.add(blocker, (b) => b.end());
  await blocker.query('BEGIN');
  await blocker.query(lockTable ? 'LOCK TABLE records IN ACCESS EXCLUSIVE MODE' : 'SELECT 1');
  return blocker;
}

describe.each([
  ['the embedded PGlite', 'pglite'],
  ['a real PostgreSQL 18', 'postgres'],
] as const)('the database queue (DATABASE_MAX_QUEUED), on %s', (_label, backend) => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it('refuses calls beyond the queue at once with RESOURCE_EXHAUSTED, leaves the breaker closed, and answers the queued ones', async () => {
    const server = backend === 'postgres' ? cleanup.add(await PostgresServer.start(), (pg) => pg.close()) : undefined;
    const env = { DATABASE_POOL_SIZE: '1', DATABASE_MAX_QUEUED: '2', ...(server ? { DATABASE_URL: server.url } : {}) };
    const daemon = cleanup.add(await startEnginedApp(env), (d) => d.close());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'queued' });
    const database = daemon.app.get(Database);

    const blocker = await holdTransaction(server?.url ?? daemon.app.get(EmbeddedPostgres).url, server !== undefined, cleanup);

    const first = client.call<{ id: string }>('GetRecord', { id: record.id }, 30_000);
    await until(() => database.load.total === 1 && database.load.idle === 0);
    const queued = [client.call<{ id: string }>('GetRecord', { id: record.id }, 30_000), client.call<{ id: string }>('GetRecord', { id: record.id }, 30_000)];
    await until(() => database.load.waiting === 2);

    const refused = await client.call('GetRecord', { id: record.id });
    expect(refused.ok ? 'answered' : [refused.error.code, refused.error.details]).toEqual([status.RESOURCE_EXHAUSTED, 'database busy']);

    await blocker.query('COMMIT');
    for (const outcome of await Promise.all([first, ...queued])) {
      expect(outcome.ok ? outcome.value.id : outcome.error.details).toBe(record.id);
    }
    // Overload is not an outage: the breaker ignored the refusal.
    const breaker = daemon.app.get(BreakerRegistry).get('database')!;
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    const { samples } = await scrape(daemon.app);
    expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'GetRecord', grpc_code: 'RESOURCE_EXHAUSTED' })).toBe(1);
  });

  it('a call that waits DATABASE_CONNECT_TIMEOUT_MS in the queue (injected clock) fails UNAVAILABLE, as a connect timeout did, and counts in the breaker', async () => {
    const server = backend === 'postgres' ? cleanup.add(await PostgresServer.start(), (pg) => pg.close()) : undefined;
    const clock = new FakeClock();
    const env = { DATABASE_POOL_SIZE: '1', DATABASE_MAX_QUEUED: '1', DATABASE_CONNECT_TIMEOUT_MS: '3000', ...(server ? { DATABASE_URL: server.url } : {}) };
    const daemon = cleanup.add(await startEnginedApp(env, clock), (d) => d.close());
    const client = cleanup.add(new RecordsClient(daemon.grpcTarget), (c) => c.close());
    const record = await client.ok<{ id: string }>('CreateRecord', { name: 'queued' });
    const database = daemon.app.get(Database);
    const bulkhead = daemon.app.get(BulkheadRegistry).get('database')!;
    expect(bulkhead.metrics()).toMatchObject({ maxConcurrent: 1, maxQueued: 1 });

    const blocker = await holdTransaction(server?.url ?? daemon.app.get(EmbeddedPostgres).url, server !== undefined, cleanup);

    const first = client.call<{ id: string }>('GetRecord', { id: record.id }, 30_000);
    await until(() => bulkhead.active === 1);
    const queued = client.call('GetRecord', { id: record.id }, 30_000);
    await until(() => database.load.waiting === 1);
    clock.advance(3_000);
    const timedOut = await queued;
    expect(timedOut.ok ? 'answered' : [timedOut.error.code, timedOut.error.details]).toEqual([status.UNAVAILABLE, 'database unavailable']);
    expect(bulkhead.metrics().calls).toMatchObject({ queueTimedOut: 1 });

    await blocker.query('COMMIT');
    const answered = await first;
    expect(answered.ok ? answered.value.id : answered.error.details).toBe(record.id);
    expect(daemon.app.get(BreakerRegistry).get('database')!.metrics().calls.failed).toBe(1);
  });
});

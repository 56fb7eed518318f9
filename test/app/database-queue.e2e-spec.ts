import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { Client } from 'pg';
import { BreakerRegistry, CircuitState } from '@engined/resilience';
import { Database } from '../../apps/engined/src/database/database.js';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { scrape, valueOf } from '../metrics/scrape.js';
import { PostgresServer } from '../support/postgres-server.js';
import { Cleanup } from './support/cleanup.js';
import { startEnginedApp } from './support/engined-test-app.js';
import { RecordsClient } from './support/records-client.js';

/** Yields to the event loop until `done()` holds: waits on the pool's state, not on time. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
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

    // Another session holds a transaction open, so the pool's only connection waits behind it: the embedded
    // server runs one transaction at a time; a real server waits for the table lock that transaction holds.
    const blocker = new Client({ connectionString: server?.url ?? daemon.app.get(EmbeddedPostgres).url });
    await blocker.connect();
    cleanup.add(blocker, (b) => b.end());
    await blocker.query('BEGIN');
    await blocker.query(server ? 'LOCK TABLE records IN ACCESS EXCLUSIVE MODE' : 'SELECT 1');

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
});

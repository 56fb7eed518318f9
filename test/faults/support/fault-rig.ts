import { ConsoleLogger, Logger } from '@nestjs/common';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Pool } from 'pg';
import { filter, firstValueFrom, type Observable } from 'rxjs';
import { createDownstreamApp, type DownstreamApp } from '../../../apps/downstream/src/downstream.app.js';
import { createInMemoryPglite } from '../../../apps/engined/src/database/pglite-template.js';
import type { Cleanup } from '../../app/support/cleanup.js';
import { FaultProxy } from '../../support/fault-proxy.js';
import { PostgresServer } from '../../support/postgres-server.js';

/** Errors only: the faults these suites inject make every layer warn, once per failed call. */
export function quietLogger(context: string): ConsoleLogger {
  return new ConsoleLogger(context, { logLevels: ['error', 'fatal'] });
}

/** Which PostgreSQL-protocol server a database suite runs against. */
export type DatabaseBackend = 'pglite' | 'postgres';

/** The backends every database fault suite runs against: PGlite in-process, and a real PostgreSQL 18 server. */
export const DATABASE_BACKENDS: readonly [string, DatabaseBackend][] = [
  ['PGlite', 'pglite'],
  ['PostgreSQL 18', 'postgres'],
];

/** Reads the data directly, past the proxy. */
export interface DirectQueries {
  query<R>(sql: string): Promise<{ rows: R[] }>;
}

/**
 * A PostgreSQL-protocol server on loopback that the daemon does not own (in-memory PGlite, or a
 * real PostgreSQL from `PostgresServer`), behind a fault proxy: the daemon gets `url` (the proxy's
 * address) as DATABASE_URL, the test reads the data through `db` directly, past the proxy.
 */
export interface ProxiedDatabase {
  db: DirectQueries;
  proxy: FaultProxy;
  url: string;
}

export async function startProxiedDatabase(cleanup: Cleanup, backend: DatabaseBackend = 'pglite'): Promise<ProxiedDatabase> {
  if (backend === 'postgres') return startProxiedPostgres(cleanup);
  const db = cleanup.add(await createInMemoryPglite(new Logger('fault-rig')), (d) => d.close());
  // Room for the daemon's pool, a rebuilt pool while the old one drains, and the sockets a reset leaves behind.
  const server = cleanup.add(new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 32 }), (s) => s.stop());
  await server.start();
  const port = Number(server.getServerConn().split(':').at(-1));
  // Closed before the server, so the server's sockets are gone by the time it stops.
  const proxy = cleanup.add(await FaultProxy.start({ target: port }), (p) => p.close());
  return { db, proxy, url: `postgres://postgres@${proxy.address}/postgres` };
}

async function startProxiedPostgres(cleanup: Cleanup): Promise<ProxiedDatabase> {
  const server = cleanup.add(await PostgresServer.start(), (s) => s.close());
  const db = cleanup.add(directPool(server.url), (pool) => pool.end());
  const proxy = cleanup.add(await FaultProxy.start({ target: server.port }), (p) => p.close());
  const url = new URL(server.url);
  url.host = proxy.address;
  return { db, proxy, url: url.toString() };
}

/** The downstream quote service, started separately, behind a fault proxy (DOWNSTREAM_URL = `proxy.address`). */
export interface ProxiedDownstream {
  downstream: DownstreamApp;
  proxy: FaultProxy;
}

export async function startProxiedDownstream(cleanup: Cleanup): Promise<ProxiedDownstream> {
  const downstream = cleanup.add(await createDownstreamApp({ host: '127.0.0.1', port: 0, shutdownTimeoutMs: 1_000, logger: quietLogger('downstream') }), (d) => d.close());
  // The proxy closes first: a connection held dark would otherwise keep the downstream's graceful shutdown waiting.
  const proxy = cleanup.add(await FaultProxy.start({ target: downstream.port }), (p) => p.close());
  return { downstream, proxy };
}

/** The first event of `events$` that `predicate` accepts (subscribe before causing it). */
export function nextEvent<E, S extends E>(events$: Observable<E>, predicate: (event: E) => event is S): Promise<S>;
export function nextEvent<E>(events$: Observable<E>, predicate: (event: E) => boolean): Promise<E>;
export function nextEvent<E>(events$: Observable<E>, predicate: (event: E) => boolean): Promise<E> {
  const event = firstValueFrom(events$.pipe(filter(predicate)));
  // A test that fails before awaiting it must not crash the run when the stream completes at shutdown.
  event.catch(() => undefined);
  return event;
}

/**
 * Resolves once `count` of the promises have resolved with a value `accept` takes, or once all have
 * settled; with how many had settled by then.
 */
export function whenCounted<T>(promises: readonly Promise<T>[], count: number, accept: (value: T) => boolean): Promise<number> {
  return new Promise((resolve) => {
    let seen = 0;
    let settled = 0;
    for (const promise of promises) {
      void promise.then((value) => {
        settled++;
        if (accept(value)) seen++;
        if (seen >= count || settled === promises.length) resolve(settled);
      });
    }
  });
}

/**
 * A one-connection pool straight to the server, for reading what was stored. pg-pool's `end()` resolves
 * before its connections have closed, so the server stopping right after may still cut one: expected
 * then, not an error.
 */
export function directPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 1 });
  pool.on('error', () => undefined);
  return pool;
}

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type BulkheadPolicy, BulkheadRegistry, isBulkheadRejectedError } from '@engined/resilience';
import { Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { redactUrl } from '../../../shared/src/config/redact.js';
import { DATABASE_BULKHEAD, databaseBulkheadOptions } from './database.bulkhead.js';
import { DatabaseBusyError, DatabaseUnavailableError, isConnectionFailure } from './database-unavailable.error.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { MIGRATIONS } from './migrations.js';
import { migrate } from './migrator.js';

/**
 * The one owner of the database connection: it starts the embedded server when
 * DATABASE_URL is unset, migrates the schema, hands out queries, rebuilds the pool on
 * request (the health heal) and, at shutdown, closes the pool and then the embedded server.
 *
 * Shutdown runs in `onApplicationShutdown`, after the gRPC server has finished its
 * in-flight calls, so those calls still have a database.
 */
@Injectable()
export class Database implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);
  private pool: Pool | undefined;
  private url: string | undefined;
  /** Old pools still finishing their calls after a rebuild; shutdown waits for them. */
  private readonly draining = new Set<Promise<void>>();
  /** One slot per pooled connection, DATABASE_MAX_QUEUED calls waiting; the rest refused at once. */
  private readonly bulkhead: BulkheadPolicy;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly embedded: EmbeddedPostgres,
    bulkheads: BulkheadRegistry,
  ) {
    this.bulkhead = bulkheads.getOrCreate(DATABASE_BULKHEAD, databaseBulkheadOptions(config));
  }

  async onModuleInit(): Promise<void> {
    this.url = this.config.database.url ?? (await this.embedded.start());
    this.pool = this.createPool(this.url);
    await migrate(this.pool, MIGRATIONS, this.logger);
    this.logger.log(`database ready at ${redactUrl(this.url)}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch((error: unknown) => this.logger.warn(`closing the pool: ${String(error)}`));
    await Promise.all(this.draining);
    await this.embedded.close();
  }

  /**
   * Runs one statement (autocommit: once this resolves, the change is committed), in a slot of the
   * `database` bulkhead. Connection failures are rethrown as `DatabaseUnavailableError`. While every
   * connection is busy and `DATABASE_MAX_QUEUED` calls already wait, or a call has waited
   * DATABASE_CONNECT_TIMEOUT_MS for a slot, it is refused with `DatabaseBusyError`.
   */
  async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    try {
      // The pool is read when the slot is granted: a queued call uses the pool of that moment (rebuilds replace it).
      return await this.bulkhead.execute(() => this.requirePool().query<R>(text, values));
    } catch (error) {
      if (isBulkheadRejectedError(error)) throw new DatabaseBusyError(this.bulkhead.queued, { cause: error });
      throw this.translate(error);
    }
  }

  /** Connections in use, and calls waiting for one (in the bulkhead's queue or the pool's), now. */
  get load(): { total: number; idle: number; waiting: number } {
    const pool = this.pool;
    return { total: pool?.totalCount ?? 0, idle: pool?.idleCount ?? 0, waiting: (pool?.waitingCount ?? 0) + this.bulkhead.queued };
  }

  /**
   * `SELECT 1`, bounded by the query timeout (or `timeoutMs` when shorter). For the health check: outside
   * the bulkhead, so never refused as busy (an overloaded database is not a down one).
   */
  async ping(timeoutMs = this.config.database.queryTimeoutMs): Promise<void> {
    const pool = this.requirePool();
    try {
      // pg honours a per-query `query_timeout`; its type definitions omit it.
      const timeout = Math.min(timeoutMs, this.config.database.queryTimeoutMs);
      await pool.query({ text: 'SELECT 1', query_timeout: timeout } as QueryConfig);
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Replaces the pool with a fresh one (the health heal). The old pool drains in the
   * background: calls holding one of its clients finish, its idle clients close. Cheap
   * while the database is down: the new pool connects lazily.
   */
  rebuildPool(): void {
    if (!this.pool || !this.url) return;
    const old = this.pool;
    this.pool = this.createPool(this.url);
    this.logger.log('database pool rebuilt');
    const drained = old
      .end()
      .catch((error: unknown) => this.logger.warn(`draining the old pool: ${String(error)}`))
      .finally(() => this.draining.delete(drained));
    this.draining.add(drained);
  }

  private createPool(url: string): Pool {
    const { poolSize, connectTimeoutMs, queryTimeoutMs } = this.config.database;
    const pool = new Pool({
      connectionString: url,
      max: poolSize,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'engined',
    });
    // An idle client whose server went away emits 'error' on the pool; unhandled, it would kill the process.
    pool.on('error', (error) => this.logger.warn(`idle database connection lost: ${error.message}`));
    return pool;
  }

  private requirePool(): Pool {
    if (!this.pool) throw new DatabaseUnavailableError('the database is not open');
    return this.pool;
  }

  private translate(error: unknown): unknown {
    if (!isConnectionFailure(error)) return error;
    return new DatabaseUnavailableError(String((error as { message?: unknown }).message ?? error), { cause: error });
  }
}

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  type BulkheadPolicy,
  BulkheadRegistry,
  type BulkheadRejectedError,
  type Clock,
  isBulkheadRejectedError,
  RESILIENCE_CLOCK,
  type TimerHandle,
} from '@engined/resilience';
import { redactSecrets } from '@engined/resilience/health';
import { Pool, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { redactUrl } from '../../../shared/src/config/redact.js';
import { DATABASE_BULKHEAD, databaseBulkheadOptions } from './database.bulkhead.js';
import { DatabaseBusyError, DatabaseUnavailableError, isConnectionFailure } from './database-unavailable.error.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { MIGRATIONS } from './migrations.js';
import { migrate } from './migrator.js';

/** First and largest delay between two attempts to open a database that was down at start. */
const OPEN_RETRY_MIN_MS = 250;
const OPEN_RETRY_MAX_MS = 5_000;

/**
 * The one owner of the database connection: it starts the embedded server when
 * DATABASE_URL is unset, migrates the schema, hands out queries, rebuilds the pool on
 * request (the health heal) and, at shutdown, closes the pool and then the embedded server.
 *
 * A DATABASE_URL server that does not answer at start is waited for (DATABASE_STARTUP=wait, the
 * default): the daemon starts anyway, refuses queries with UNAVAILABLE and fails its database check
 * (so startup and readiness fail), and retries connecting and migrating with backoff until it answers.
 * DATABASE_STARTUP=fail keeps the start failing instead.
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
  /** Ends an old pool now (shutdown), for the ones still serving the calls queued in them. */
  private readonly retiring = new Set<() => void>();
  /** True once the schema is migrated; until then every query is refused as unavailable. */
  private isOpen = false;
  /** Why the last attempt to open failed (DATABASE_STARTUP=wait), shown by the health check. */
  private openFailure: string | undefined;
  private openAttempts = 0;
  private openTimer: TimerHandle | undefined;
  private readonly openListeners: (() => void)[] = [];
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly embedded: EmbeddedPostgres,
    @Inject(RESILIENCE_CLOCK) private readonly clock: Clock,
    bulkheads: BulkheadRegistry,
  ) {
    this.bulkhead = bulkheads.getOrCreate(DATABASE_BULKHEAD, databaseBulkheadOptions(config));
  }

  async onModuleInit(): Promise<void> {
    const { url, startup } = this.config.database;
    this.url = url ?? (await this.embedded.start());
    this.pool = this.createPool(this.url);
    // The embedded server runs in this process: if it does not answer now, waiting will not help.
    if (url === undefined || startup === 'fail') return this.open();
    try {
      await this.open();
    } catch (error) {
      if (!isConnectionFailure(error)) throw error;
      this.waitForDatabase(error);
    }
  }

  /** True once the database answered and its schema is migrated. */
  get opened(): boolean {
    return this.isOpen;
  }

  /** Calls `listener` once the database is open (at once if it already is). */
  onOpen(listener: () => void): void {
    if (this.isOpen) listener();
    else this.openListeners.push(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.openTimer !== undefined) this.clock.clearTimeout(this.openTimer);
    this.openTimer = undefined;
    const pool = this.pool;
    this.pool = undefined;
    // Deleting the current entry while iterating a Set is safe: each end() takes itself out.
    for (const end of this.retiring) end();
    await pool?.end().catch((error: unknown) => this.logger.warn(`closing the pool: ${String(error)}`));
    await Promise.all(this.draining);
    await this.embedded.close();
  }

  /**
   * Runs one statement (autocommit: once this resolves, the change is committed), in a slot of the
   * `database` bulkhead. Connection failures are rethrown as `DatabaseUnavailableError`. While every
   * connection is busy and `DATABASE_MAX_QUEUED` calls already wait, the call is refused at once with
   * `DatabaseBusyError`.
   */
  async query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    // Not open yet: refused at once, without taking a slot.
    this.requireOpen();
    try {
      // The pool is read when the slot is granted: a queued call uses the pool of that moment (rebuilds replace it).
      return await this.bulkhead.execute(() => this.requireOpen().query<R>(text, values));
    } catch (error) {
      if (isBulkheadRejectedError(error)) throw this.refusal(error);
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
    const pool = this.requireOpen();
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
   * background: calls holding one of its clients finish, calls queued in it still get a
   * connection, its idle clients close. Cheap while the database is down: the new pool
   * connects lazily.
   */
  rebuildPool(): void {
    if (!this.pool || !this.url) return;
    const old = this.pool;
    this.pool = this.createPool(this.url);
    this.logger.log('database pool rebuilt');
    this.retire(old);
  }

  /**
   * The health heal. An embedded database whose worker thread died is started again on its port and
   * migrated (in memory it comes back empty) on a fresh pool, which then replaces the old one; otherwise
   * the pool is rebuilt (see {@link rebuildPool}).
   */
  async heal(): Promise<void> {
    if (this.stopped || !this.pool || this.embedded.failure === undefined || this.config.database.url !== undefined) return this.rebuildPool();
    const url = await this.embedded.start();
    const pool = this.createPool(url);
    try {
      await migrate(pool, MIGRATIONS, this.logger);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    const old = this.pool;
    if (this.stopped || !old) return void (await pool.end());
    this.pool = pool;
    this.logger.log('embedded database restarted and migrated; pool rebuilt');
    this.retire(old);
  }

  /**
   * Ends a replaced pool once no call waits in its queue: pg-pool serves no waiter once it is ending, so
   * ending it at once would leave them waiting out DATABASE_CONNECT_TIMEOUT_MS. Within that time each has a
   * connection or has failed, so the pool is ended then at the latest.
   */
  private retire(old: Pool): void {
    let ended = false;
    let timer: TimerHandle | undefined;
    const drained = new Promise<void>((resolve) => {
      const end = (): void => {
        if (ended) return;
        ended = true;
        old.off('acquire', endWhenIdle);
        old.off('remove', endWhenIdle);
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.retiring.delete(end);
        old
          .end()
          .catch((error: unknown) => this.logger.warn(`draining the old pool: ${String(error)}`))
          .finally(resolve);
      };
      const endWhenIdle = (): void => {
        if (old.waitingCount === 0) end();
      };
      this.retiring.add(end);
      old.on('acquire', endWhenIdle);
      old.on('remove', endWhenIdle);
      timer = this.clock.setTimeout(end, this.config.database.connectTimeoutMs);
      endWhenIdle();
    }).finally(() => this.draining.delete(drained));
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

  private requireOpen(): Pool {
    if (!this.pool) throw new DatabaseUnavailableError('the database is not open');
    // A dead embedded worker: say so rather than "connection refused" (pool and port wait for the heal).
    const crash = this.config.database.url === undefined ? this.embedded.failure : undefined;
    if (crash !== undefined) throw new DatabaseUnavailableError(crash);
    if (!this.isOpen) throw new DatabaseUnavailableError(`waiting for the database at start: ${this.openFailure ?? 'not migrated yet'}`);
    return this.pool;
  }

  /** Migrates the schema (connecting on the way); the database is open once it has. */
  private async open(): Promise<void> {
    await migrate(this.pool!, MIGRATIONS, this.logger);
    this.isOpen = true;
    this.openFailure = undefined;
    this.logger.log(`database ready at ${redactUrl(this.url!)}`);
    for (const listener of this.openListeners.splice(0)) listener();
  }

  /** DATABASE_STARTUP=wait: the server did not answer at start; try again with backoff until it does. */
  private waitForDatabase(error: unknown): void {
    this.openFailure = describeFailure(error);
    this.logger.warn(
      `database unavailable at start (${this.openFailure}); retrying with backoff, startup and readiness fail until it answers (DATABASE_STARTUP=wait)`,
    );
    this.scheduleOpen();
  }

  private scheduleOpen(): void {
    if (this.stopped) return;
    const delay = Math.min(OPEN_RETRY_MAX_MS, OPEN_RETRY_MIN_MS * 2 ** this.openAttempts++);
    this.openTimer = this.clock.setTimeout(() => {
      this.openTimer = undefined;
      this.open().catch((error: unknown) => {
        const failure = describeFailure(error);
        // Anything but a lost connection (a bad password, a failed migration) needs an operator: say so once.
        if (failure !== this.openFailure && !isConnectionFailure(error)) this.logger.error(`opening the database: ${failure}`);
        this.openFailure = failure;
        this.scheduleOpen();
      });
    }, delay);
  }

  /**
   * A full queue is overload (`DatabaseBusyError`, ignored by the breaker). A call that waited
   * DATABASE_CONNECT_TIMEOUT_MS without a connection freeing is what pg reported as a connect timeout before
   * the bulkhead held the queue: the database is not answering (a hang shows first as these), so it stays
   * `DatabaseUnavailableError`, counted by the breaker and its health link.
   */
  private refusal(error: BulkheadRejectedError): Error {
    if (error.reason === 'full') return new DatabaseBusyError(this.bulkhead.queued, { cause: error });
    const waited = this.config.database.connectTimeoutMs;
    return new DatabaseUnavailableError(`timeout exceeded when trying to connect: no connection freed within ${waited} ms`, { cause: error });
  }

  private translate(error: unknown): unknown {
    if (!isConnectionFailure(error)) return error;
    return new DatabaseUnavailableError(String((error as { message?: unknown }).message ?? error), { cause: error });
  }
}

function describeFailure(error: unknown): string {
  return redactSecrets(String((error as { message?: unknown } | null)?.message ?? error));
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { listenAs } from '../listen-error.js';
import { PgliteHost, type PgliteHostOptions } from './pglite-host.js';
import { PgliteThread } from './pglite.thread.js';

/** The embedded server binds to loopback only: it has no password. */
const HOST = '127.0.0.1';

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served over the Postgres wire protocol on
 * 127.0.0.1, so the daemon talks to it through `pg` exactly as it would to a real server.
 * Used when DATABASE_URL is unset.
 *
 * It runs in a worker thread (PGLITE_THREAD=worker, the default), so that its queries, which run one at
 * a time, never hold up the daemon's event loop (gRPC calls, health probes, timers); PGLITE_THREAD=main
 * runs it on the daemon's own thread as before. A worker that dies (a crash of the WebAssembly
 * module) takes the database down, not the daemon: `failure` says why, the database check fails, and
 * `start()` (the heal) brings it back on the same port, with the data of PGLITE_DATA_DIR or, in
 * memory, empty.
 *
 * `stop()` and `start()` take the server down and bring it back on the same port with the
 * same data, as a database restart would (the e2e tests use this). `Database` owns this
 * object and calls `close()` at shutdown.
 */
@Injectable()
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);
  private host: PgliteHost | PgliteThread | undefined;
  /** `host:port` once bound: later starts (after a stop or a crash) reuse the port. */
  private conn: string | undefined;
  private listening = false;
  private crash: string | undefined;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether the server accepts connections. */
  get running(): boolean {
    return this.listening;
  }

  /** Why the worker thread is gone, until `start()` brings it back; `undefined` while it runs (or was stopped on purpose). */
  get failure(): string | undefined {
    return this.crash;
  }

  /** Statements waiting their turn: PGlite runs one transaction at a time across all connections. */
  get queuedQueries(): number {
    return this.host?.queuedQueries ?? 0;
  }

  /** Starts the server (creating the database on first use, or again after a crash) and returns its connection URL. */
  async start(): Promise<string> {
    if (!this.listening) {
      const port = this.conn === undefined ? this.config.pglite.port : Number(this.conn.slice(this.conn.lastIndexOf(':') + 1));
      const host = (this.host ??= this.createHost(port));
      this.conn = await listenAs({ what: 'the embedded PostgreSQL', host: HOST, port, portVariable: 'PGLITE_PORT' }, () => host.start());
      this.listening = true;
      const where = this.config.pglite.dataDir ?? 'in memory';
      const thread = host instanceof PgliteThread ? 'worker thread' : 'main thread';
      this.logger.log(`embedded PostgreSQL (PGlite, ${where}, ${thread}) ${this.crash === undefined ? 'listening' : 'restarted'} on ${this.conn}`);
      this.crash = undefined;
    }
    return this.url;
  }

  /** Stops accepting connections and drops the open ones; the data stays. */
  async stop(): Promise<void> {
    if (!this.listening || !this.host) return;
    this.listening = false;
    await this.host.stop();
    this.logger.log('embedded PostgreSQL stopped');
  }

  /** Stops the server and closes the database for good (the worker thread exits). */
  async close(): Promise<void> {
    await this.stop();
    const host = this.host;
    this.host = undefined;
    this.listening = false;
    await host?.close();
    if (host instanceof PgliteThread && host.exitCode !== 0) this.logger.warn(`the embedded database's worker thread had to be terminated (exit code ${host.exitCode})`);
  }

  /** Ends the worker thread at once, as a crash of PGlite would (tests, fault drills). */
  async kill(): Promise<void> {
    if (!(this.host instanceof PgliteThread)) throw new Error('the embedded database runs in a worker thread only with PGLITE_THREAD=worker');
    await this.host.terminate();
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres`; PGlite needs no password. */
  get url(): string {
    if (!this.conn) throw new Error('the embedded database has not been started');
    return `postgres://postgres@${this.conn}/postgres`;
  }

  private createHost(port: number): PgliteHost | PgliteThread {
    const { dataDir, thread } = this.config.pglite;
    // pglite-socket queues every statement for one PGlite, so sockets beyond the pool only wait: one per
    // pooled connection, twice the pool so a rebuilt pool can connect while the old one drains.
    const options: PgliteHostOptions = { dataDir, host: HOST, port, maxConnections: 2 * this.config.database.poolSize + 1 };
    if (thread === 'main') return new PgliteHost(options, this.logger);
    return new PgliteThread(options, {
      log: (level, message) => this.logger[level](message),
      exit: (reason) => this.crashed(reason),
    });
  }

  private crashed(reason: string): void {
    this.host = undefined;
    this.listening = false;
    this.crash = `the embedded database's worker thread died (${reason})`;
    const lost = this.config.pglite.dataDir === undefined ? '; it was in memory, so its data is lost (set PGLITE_DATA_DIR to keep it)' : '';
    this.logger.error(`${this.crash}: the database is down until the health heal restarts it${lost}`);
  }
}

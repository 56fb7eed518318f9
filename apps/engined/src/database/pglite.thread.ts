import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PgliteHostOptions } from './pglite-host.js';
import type { PgliteErrorData, PgliteRequest, PgliteWorkerData, PgliteWorkerMessage } from './pglite.protocol.js';

/** How long `close()` waits for the worker to exit on its own before terminating it. */
const EXIT_TIMEOUT_MS = 5_000;

/** What the embedded database's thread reports besides answers. */
export interface PgliteThreadEvents {
  log(level: 'warn' | 'debug', message: string): void;
  /** The worker exited without being closed (a crash, or `terminate()`); `reason` says how. */
  exit(reason: string): void;
}

/**
 * `PgliteHost` in a worker thread (pglite.worker.ts): the same operations, answered over messages, so
 * that PGlite's queries run on the worker's event loop instead of the daemon's. The worker is created
 * here and exits after `close()`; an exit without it is reported once through `events.exit`, and every
 * operation pending then fails.
 */
export class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(value: string | undefined): void; reject(error: Error): void }>();
  private readonly queued: Int32Array;
  private nextId = 1;
  private closing = false;
  private watching = false;
  private exitReason: string | undefined;
  private code: number | undefined;
  private readonly exited: Promise<unknown>;

  constructor(options: PgliteHostOptions, events: PgliteThreadEvents) {
    const stats = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    this.queued = new Int32Array(stats);
    const { url, execArgv } = workerModule();
    this.worker = new Worker(url, { workerData: { options, stats } satisfies PgliteWorkerData, execArgv, name: 'engined-pglite' });
    let lastError: Error | undefined;
    this.worker.on('message', (message: PgliteWorkerMessage) => {
      if (message.type === 'log') return events.log(message.level, message.message);
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(toError(message.error));
    });
    this.worker.on('error', (error) => {
      lastError = error;
    });
    this.exited = once(this.worker, 'exit').then(([code]) => {
      this.code = code as number;
      this.exitReason = lastError ? `it failed: ${lastError.message}` : `it exited with code ${code}`;
      const error = new Error(`the embedded database's worker thread is gone (${this.exitReason})`);
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
      if (!this.closing) events.exit(this.exitReason);
    });
  }

  /** The thread's exit code once it has exited: 0 when it ended on its own after `close()`, 1 when terminated. */
  get exitCode(): number | undefined {
    return this.code;
  }

  /**
   * Statements waiting their turn in PGlite, updated by the worker every few ms from the first read on (0 at
   * that first read): a daemon that never asks has no timer waking the thread.
   */
  get queuedQueries(): number {
    if (!this.watching && this.exitReason === undefined) {
      this.watching = true;
      this.request('watch').catch(() => undefined);
    }
    return Atomics.load(this.queued, 0);
  }

  /** Resolves to the `host:port` served. */
  async start(): Promise<string> {
    return (await this.request('start'))!;
  }

  async stop(): Promise<void> {
    await this.request('stop');
  }

  /** Closes the database, then waits for the thread to exit (terminating it after a few seconds). */
  async close(): Promise<void> {
    if (this.exitReason !== undefined) return;
    this.closing = true;
    try {
      await this.request('close');
    } finally {
      // A thread that does not exit holds something open (a leak): it is ended, with exit code 1.
      const timer = setTimeout(() => void this.worker.terminate(), EXIT_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Ends the thread at once, as a crash would (reported through `events.exit`). */
  async terminate(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }

  private request(op: PgliteRequest['op']): Promise<string | undefined> {
    if (this.exitReason !== undefined) return Promise.reject(new Error(`the embedded database's worker thread is gone (${this.exitReason})`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window
      this.worker.postMessage({ id, op } satisfies PgliteRequest);
    });
  }
}

/**
 * The worker's module, with the node flags of this thread (the default). Built, it is the `.js` beside
 * this file; run from the TypeScript sources (jest, the process tests), the `.ts` one, loaded through the
 * repository's TypeScript hooks.
 */
function workerModule(): { url: URL; execArgv: string[] | undefined } {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(fromSources ? './pglite.worker.ts' : './pglite.worker.js', import.meta.url);
  if (!fromSources || process.execArgv.some((arg) => arg.includes('register-ts'))) return { url, execArgv: undefined };
  const hooks = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'test', 'app', 'support', 'register-ts.mjs');
  return { url, execArgv: [...process.execArgv, '--import', hooks] };
}

function toError({ message, code }: PgliteErrorData): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

import type { PgliteHostOptions } from './pglite-host.js';

/** What the main thread passes to the embedded database's worker (pglite.worker.ts) at creation. */
export interface PgliteWorkerData {
  readonly options: PgliteHostOptions;
  /** One Int32: the statements waiting in PGlite's queue, kept current by the worker once asked to (`watch`). */
  readonly stats: SharedArrayBuffer;
}

/**
 * Main thread → worker: one operation of `PgliteHost`, answered by a reply with the same id; `watch` starts
 * keeping the shared queue counter current.
 */
export interface PgliteRequest {
  readonly id: number;
  readonly op: 'start' | 'stop' | 'close' | 'watch';
}

/** An error as it crosses the thread boundary: its message and Node's `code` (ListenError reads it). */
export interface PgliteErrorData {
  readonly message: string;
  readonly code?: string;
}

/** Worker → main thread. */
export type PgliteWorkerMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value?: string }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: PgliteErrorData }
  | { readonly type: 'log'; readonly level: 'warn' | 'debug'; readonly message: string };

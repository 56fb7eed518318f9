import { setMaxListeners } from 'node:events';

/**
 * Promise and signal helpers shared by the policies' hot paths (breaker, retry, bulkhead, timeout): each
 * avoids an allocation or a Node bookkeeping step that would cost more than the policy's own work.
 */

/**
 * A promise that rejects with `error` one microtask later, once the caller has attached its handlers:
 * a promise rejected before it has a handler goes through Node's unhandled-rejection tracking, and
 * rejecting by throwing in a reaction costs a throw; either is several times the cost of this.
 * The microtask is a reaction on a settled promise: Node's `queueMicrotask` builds an `AsyncResource`
 * and a bound function per call.
 */
export function rejectLater<T>(error: unknown): Promise<T> {
  const promise = new Promise<T>(captureReject);
  // One microtask rejects every promise of the synchronous run that queued it, in order.
  if (pendingCount === 0) void SETTLED.then(rejectPending);
  pendingRejections[pendingCount++] = capturedReject;
  pendingRejections[pendingCount++] = error;
  capturedReject = undefined;
  return promise;
}

/** The executor of `rejectLater`'s promises: hands out `reject` without a closure per promise. */
let capturedReject: ((error: unknown) => void) | undefined;

function captureReject(_resolve: unknown, reject: (error: unknown) => void): void {
  capturedReject = reject;
}

const SETTLED = Promise.resolve();
/** Pairs of (reject, error) waiting for `rejectPending`. */
const pendingRejections: unknown[] = [];
let pendingCount = 0;

function rejectPending(): void {
  // Rejecting only queues reactions, so nothing is added to the list while it is drained.
  for (let i = 0; i < pendingCount; i += 2) {
    const reject = pendingRejections[i] as (error: unknown) => void;
    const error = pendingRejections[i + 1];
    pendingRejections[i] = pendingRejections[i + 1] = undefined;
    reject(error);
  }
  pendingCount = 0;
}

/** True for a value with a callable `then` (a native or foreign promise). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls a policy cannot abort share a signal that never aborts, since building one per call costs
 * microseconds on Node 20. It is replaced every 1024 uses, so listeners that callers forget to remove
 * are freed with it; it does not warn about listener counts, which are expected to grow.
 */
const IDLE_SIGNAL_USES = 1024;
let idleSignal = newIdleSignal();
let idleSignalUses = 0;

export function sharedIdleSignal(): AbortSignal {
  if (++idleSignalUses === IDLE_SIGNAL_USES) {
    idleSignalUses = 0;
    idleSignal = newIdleSignal();
  }
  return idleSignal;
}

function newIdleSignal(): AbortSignal {
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  return signal;
}

/**
 * Builds an error without capturing a stack trace: errors built on a hot rejection path (or in a timer
 * callback, whose stack shows only timer internals) would spend most of their cost on it.
 */
export function withoutStack<E>(build: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

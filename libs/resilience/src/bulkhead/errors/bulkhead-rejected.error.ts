const BRAND = Symbol.for('@engined/resilience/BulkheadRejectedError');

/** Why a bulkhead turned a call away. */
export type BulkheadRejection = 'full' | 'queue_timeout';

/**
 * A bulkhead turned the call away: every slot was taken and the queue was full (`reason: 'full'`, at once),
 * or the call waited `queueTimeoutMs` in the queue without getting a slot (`'queue_timeout'`). The call never ran.
 *
 * Overload, not an outage: a circuit breaker ignores it by default (see `recordErrors`), the exception
 * filter answers gRPC `RESOURCE_EXHAUSTED` / HTTP 503. Bulkheads build it without a stack trace (the
 * rejection path is hot and the trace would show only bulkhead internals); its `message` is built when read.
 */
export class BulkheadRejectedError extends Error {
  declare readonly name: 'BulkheadRejectedError';

  constructor(
    /** Name of the bulkhead. */
    readonly bulkhead: string,
    readonly reason: BulkheadRejection,
    /** The bulkhead's `maxConcurrent`. */
    readonly maxConcurrent: number,
    /** The bulkhead's `maxQueued`. */
    readonly maxQueued: number,
    message: string = describeRejection(bulkhead, reason, maxConcurrent, maxQueued),
  ) {
    super(message);
  }
}

Object.defineProperty(BulkheadRejectedError.prototype, 'name', { value: 'BulkheadRejectedError', writable: true, configurable: true });
Object.defineProperty(BulkheadRejectedError.prototype, BRAND, { value: true });
Object.defineProperties(BulkheadRejectedError.prototype, {
  message: {
    get(this: BulkheadRejectedError): string {
      return describeRejection(this.bulkhead, this.reason, this.maxConcurrent, this.maxQueued);
    },
    set(this: BulkheadRejectedError, value: unknown) {
      Object.defineProperty(this, 'message', { value, writable: true, enumerable: false, configurable: true });
    },
    enumerable: false,
    configurable: true,
  },
  stack: {
    get(this: BulkheadRejectedError): string {
      return `BulkheadRejectedError: ${this.message}`;
    },
    set(this: BulkheadRejectedError, value: unknown) {
      Object.defineProperty(this, 'stack', { value, writable: true, enumerable: false, configurable: true });
    },
    enumerable: false,
    configurable: true,
  },
});

/** True for a `BulkheadRejectedError`, also one thrown by another copy of the library. */
export function isBulkheadRejectedError(error: unknown): error is BulkheadRejectedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Builds the error without running the `Error` constructor (its stack capture dominates a rejection's cost).
 * @internal used by `BulkheadPolicy`.
 */
export function createBulkheadRejectedError(
  bulkhead: string,
  reason: BulkheadRejection,
  maxConcurrent: number,
  maxQueued: number,
): BulkheadRejectedError {
  const error = Object.create(BulkheadRejectedError.prototype) as {
    -readonly [K in 'bulkhead' | 'reason' | 'maxConcurrent' | 'maxQueued']: BulkheadRejectedError[K];
  };
  error.bulkhead = bulkhead;
  error.reason = reason;
  error.maxConcurrent = maxConcurrent;
  error.maxQueued = maxQueued;
  return error as BulkheadRejectedError;
}

function describeRejection(bulkhead: string, reason: BulkheadRejection, maxConcurrent: number, maxQueued: number): string {
  return reason === 'full'
    ? `Bulkhead "${bulkhead}" is full (${maxConcurrent} running, ${maxQueued} queued)`
    : `Bulkhead "${bulkhead}": no slot freed within the queue timeout`;
}

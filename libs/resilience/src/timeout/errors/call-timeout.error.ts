const BRAND = Symbol.for('@engined/resilience/CallTimeoutError');

/**
 * A call did not settle within a `TimeoutPolicy`'s `timeoutMs` (or the shorter rest of its deadline). The
 * call's AbortSignal is aborted with this error as its reason, and the caller's promise rejects with it.
 * A circuit breaker around the timeout counts it as a failure; the exception filter answers gRPC
 * `DEADLINE_EXCEEDED` / HTTP 504.
 */
export class CallTimeoutError extends Error {
  declare readonly name: 'CallTimeoutError';

  constructor(
    /** Name of the timeout policy. */
    readonly timeout: string,
    /** The time the call was given, in ms (`timeoutMs`, or less when the deadline was nearer). */
    readonly timeoutMs: number,
    message = `Timeout "${timeout}": call timed out after ${timeoutMs} ms`,
  ) {
    super(message);
  }
}

Object.defineProperty(CallTimeoutError.prototype, 'name', { value: 'CallTimeoutError', writable: true, configurable: true });
Object.defineProperty(CallTimeoutError.prototype, BRAND, { value: true });

/** True for a `CallTimeoutError`, also one thrown by another copy of the library. */
export function isCallTimeoutError(error: unknown): error is CallTimeoutError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

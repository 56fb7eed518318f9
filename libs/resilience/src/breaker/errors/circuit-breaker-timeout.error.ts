const BRAND = Symbol.for('@engined/resilience/CircuitBreakerTimeoutError');

/**
 * A call did not settle within the breaker's `timeoutMs`. The call's AbortSignal is aborted with this
 * error as its reason, the caller's promise rejects with it (unless a fallback answers), and the call
 * counts as a failure.
 */
export class CircuitBreakerTimeoutError extends Error {
  declare readonly name: 'CircuitBreakerTimeoutError';

  constructor(
    /** Name of the breaker whose timeout elapsed. */
    readonly breaker: string,
    /** The timeout that elapsed, in ms. */
    readonly timeoutMs: number,
    message = `Circuit breaker "${breaker}": call timed out after ${timeoutMs} ms`,
  ) {
    super(message);
  }
}

Object.defineProperty(CircuitBreakerTimeoutError.prototype, 'name', {
  value: 'CircuitBreakerTimeoutError',
  writable: true,
  configurable: true,
});
Object.defineProperty(CircuitBreakerTimeoutError.prototype, BRAND, { value: true });

/** True for a `CircuitBreakerTimeoutError`, also one thrown by another copy of the library. */
export function isCircuitBreakerTimeoutError(error: unknown): error is CircuitBreakerTimeoutError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

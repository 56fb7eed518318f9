const BRAND = Symbol.for('@engined/resilience/UnknownCircuitBreakerError');

/** `BreakerRegistry` was asked to control a breaker name it does not know. */
export class UnknownCircuitBreakerError extends Error {
  declare readonly name: 'UnknownCircuitBreakerError';

  constructor(
    /** The name asked for. */
    readonly breaker: string,
    /** Names the registry knows, for the message. */
    known: readonly string[],
  ) {
    super(
      `No circuit breaker named ${JSON.stringify(breaker)} (known: ${known.map((name) => JSON.stringify(name)).join(', ') || 'none'})`,
    );
  }
}

Object.defineProperty(UnknownCircuitBreakerError.prototype, 'name', {
  value: 'UnknownCircuitBreakerError',
  writable: true,
  configurable: true,
});
Object.defineProperty(UnknownCircuitBreakerError.prototype, BRAND, { value: true });

/** True for an `UnknownCircuitBreakerError`, also one thrown by another copy of the library. */
export function isUnknownCircuitBreakerError(error: unknown): error is UnknownCircuitBreakerError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

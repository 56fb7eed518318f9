import type { CircuitState } from '../circuit-state.js';

const BRAND = Symbol.for('@engined/resilience/CircuitBreakerOpenError');

/**
 * A call was not permitted: the breaker is OPEN, FORCED_OPEN, or HALF_OPEN with every probe slot taken.
 * The call never ran and is counted as `notPermitted`.
 *
 * Breakers build this error without capturing a stack trace (the rejection path is hot and the trace
 * would only show breaker internals), and build its `message` only when it is read; `stack` is then
 * `name: message`. Both can be assigned. Errors built with `new` are ordinary errors with a stack.
 */
export class CircuitBreakerOpenError extends Error {
  declare readonly name: 'CircuitBreakerOpenError';

  constructor(
    /** Name of the breaker that rejected the call. */
    readonly breaker: string,
    /** State at the time of the rejection. */
    readonly state: CircuitState,
    /**
     * Milliseconds until the breaker may admit a call again, never more than its state can last: the rest
     * of the open duration when OPEN; when HALF_OPEN, the time until the oldest probe must have settled
     * (its `timeoutMs` when the breaker has one, else its `maxWaitInHalfOpenMs` lease); -1 when
     * FORCED_OPEN, which only an operator ends.
     */
    readonly retryAfterMs: number,
    message: string = describeRejection(breaker, state, retryAfterMs),
  ) {
    super(message);
  }
}

Object.defineProperty(CircuitBreakerOpenError.prototype, 'name', {
  value: 'CircuitBreakerOpenError',
  writable: true,
  configurable: true,
});
Object.defineProperty(CircuitBreakerOpenError.prototype, BRAND, { value: true });

/**
 * For errors built by `createCircuitBreakerOpenError`, which have no own `message` or `stack`: both are
 * computed from the fields on each read (an error built with `new` has its own and never reaches these).
 * Assigning either stores an own property, as on any error.
 */
Object.defineProperties(CircuitBreakerOpenError.prototype, {
  message: {
    get(this: CircuitBreakerOpenError): string {
      return describeRejection(this.breaker, this.state, this.retryAfterMs);
    },
    set(this: CircuitBreakerOpenError, value: unknown) {
      defineOwn(this, 'message', value);
    },
    enumerable: false,
    configurable: true,
  },
  stack: {
    get(this: CircuitBreakerOpenError): string {
      return `CircuitBreakerOpenError: ${this.message}`;
    },
    set(this: CircuitBreakerOpenError, value: unknown) {
      defineOwn(this, 'stack', value);
    },
    enumerable: false,
    configurable: true,
  },
});

/** True for a `CircuitBreakerOpenError`, also one thrown by another copy of the library. */
export function isCircuitBreakerOpenError(error: unknown): error is CircuitBreakerOpenError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Builds the error without running the `Error` constructor, whose stack capture dominates the cost of a
 * rejection (several µs), and without building its message until it is read. The result is
 * `instanceof CircuitBreakerOpenError` and `instanceof Error`, carries the same fields, and its `stack`
 * is just `name: message`.
 * @internal used by `CircuitBreakerPolicy` on the rejection path.
 */
export function createCircuitBreakerOpenError(
  breaker: string,
  state: CircuitState,
  retryAfterMs: number,
): CircuitBreakerOpenError {
  const error = Object.create(CircuitBreakerOpenError.prototype) as {
    -readonly [K in 'breaker' | 'state' | 'retryAfterMs']: CircuitBreakerOpenError[K];
  };
  error.breaker = breaker;
  error.state = state;
  error.retryAfterMs = retryAfterMs;
  return error as CircuitBreakerOpenError;
}

function describeRejection(breaker: string, state: CircuitState, retryAfterMs: number): string {
  return retryAfterMs < 0
    ? `Circuit breaker "${breaker}" is ${state}; calls are rejected until an operator closes it`
    : `Circuit breaker "${breaker}" is ${state}; retry after ${retryAfterMs} ms`;
}

/** An own property with the attributes `Error` gives `message` and `stack`. */
function defineOwn(error: object, key: 'message' | 'stack', value: unknown): void {
  Object.defineProperty(error, key, { value, writable: true, enumerable: false, configurable: true });
}

const BRAND = Symbol.for('@engined/resilience/OperatorConflictError');

/** The target's state or kind forbids the action (a breaker component has no check to run); the admin API answers 409. */
export class OperatorConflictError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'OperatorConflictError';
}

/** True for an `OperatorConflictError`, also one thrown by another copy of the library. */
export function isOperatorConflictError(error: unknown): error is OperatorConflictError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

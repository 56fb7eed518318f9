const BRAND = Symbol.for('@engined/resilience/UnknownHealthComponentError');

/** Thrown by `HealthRegistry` operations (`runNow`, `heal`, `resetHeal`, `history`) given a name that is not registered. */
export class UnknownHealthComponentError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'UnknownHealthComponentError';

  constructor(
    /** The name asked for. */
    readonly component: string,
  ) {
    super(`Health component "${component}" is not registered`);
  }
}

/** True for an `UnknownHealthComponentError`, also one thrown by another copy of the library. */
export function isUnknownHealthComponentError(error: unknown): error is UnknownHealthComponentError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

const BRAND = Symbol.for('@engined/resilience/OverrideStoreUnavailableError');

/**
 * The shared breaker override store could not record an operator action, so it was applied nowhere (not
 * even here: replicas must not disagree about an action the operator saw fail). The admin API answers 503.
 */
export class OverrideStoreUnavailableError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'OverrideStoreUnavailableError';

  constructor(store: string, cause: unknown) {
    super(`The breaker override store (${store}) could not record the action, so it was not applied: ${describe(cause)}`, { cause });
  }
}

/** True for an `OverrideStoreUnavailableError`, also one thrown by another copy of the library. */
export function isOverrideStoreUnavailableError(error: unknown): error is OverrideStoreUnavailableError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

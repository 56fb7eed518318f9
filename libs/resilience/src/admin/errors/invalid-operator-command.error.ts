const BRAND = Symbol.for('@engined/resilience/InvalidOperatorCommandError');

/** An operator command with a bad field (`reason` missing, too long, …); the admin API answers 400 naming the field. */
export class InvalidOperatorCommandError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'InvalidOperatorCommandError';

  constructor(
    /** The field at fault, e.g. `reason`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** True for an `InvalidOperatorCommandError`, also one thrown by another copy of the library. */
export function isInvalidOperatorCommandError(error: unknown): error is InvalidOperatorCommandError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

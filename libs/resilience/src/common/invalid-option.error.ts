const BRAND = Symbol.for('@engined/resilience/InvalidOptionError');

/**
 * Thrown for a bad option anywhere in the library (breaker, health component, module options),
 * at construction or bootstrap. The message names the owner, the option and the offending value:
 * `Circuit breaker "db": option "failureRateThreshold" must be a number in (0, 100], got 150`.
 */
export class InvalidOptionError extends TypeError {
  readonly [BRAND] = true;
  override readonly name = 'InvalidOptionError';

  constructor(
    /** What the option belongs to, e.g. `Circuit breaker "db"` or `Health component "cache"`. */
    readonly owner: string,
    /** Dotted option path, e.g. `window.size`. */
    readonly option: string,
    /** The rejected value. */
    readonly value: unknown,
    /** What was expected, e.g. `must be a positive integer`. */
    readonly expected: string,
  ) {
    super(`${owner}: option "${option}" ${expected}, got ${describeValue(value)}`);
  }
}

/** True for an `InvalidOptionError`, also one thrown by another copy of the library. */
export function isInvalidOptionError(error: unknown): error is InvalidOptionError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** Renders a value for an error message: strings quoted, functions by name, objects as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

import { systemClock, type Clock } from './clock.js';
import { InvalidOptionError } from './invalid-option.error.js';
import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';
import { toErrorPredicate, type ErrorPredicate } from './error-matcher.js';

/**
 * The checks every policy's options share; each failure throws `InvalidOptionError` naming the owner
 * (e.g. `Retry "db"`), the option and the value. Policies extend it with their own shapes.
 */
export class OptionChecker {
  constructor(private readonly owner: string) {}

  fail(option: string, value: unknown, expected: string): never {
    throw new InvalidOptionError(this.owner, option, value, expected);
  }

  positiveInteger(option: string, value: unknown, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      this.fail(option, value, 'must be a positive integer');
    }
    return value;
  }

  nonNegativeInteger(option: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.fail(option, value, 'must be a non-negative integer');
    }
    return value;
  }

  positiveFinite(option: string, value: unknown): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(option, value, 'must be a positive finite number of ms');
    }
    return value;
  }

  percent(option: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value > 0 && value <= 100)) {
      this.fail(option, value, 'must be a number in (0, 100]');
    }
    return value;
  }

  boolean(option: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(option, value, 'must be a boolean');
    return value;
  }

  optionalFunction<F>(option: string, value: F | undefined): F | undefined {
    if (value !== undefined && typeof value !== 'function') this.fail(option, value, 'must be a function');
    return value;
  }

  matchers(option: string, value: unknown): ErrorPredicate[] {
    if (!Array.isArray(value)) this.fail(option, value, 'must be an array of error classes or predicates');
    return value.map((matcher: unknown, i) => {
      if (typeof matcher !== 'function') this.fail(`${option}[${i}]`, matcher, 'must be an error class or a predicate');
      return toErrorPredicate(matcher as ErrorMatcher);
    });
  }

  clock(value: unknown): Clock {
    if (value === undefined) return systemClock;
    const clock = value as Partial<Clock> | null;
    if (
      typeof clock !== 'object' ||
      clock === null ||
      typeof clock.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function'
    ) {
      this.fail('clock', value, 'must implement now(), setTimeout() and clearTimeout()');
    }
    return clock as Clock;
  }
}

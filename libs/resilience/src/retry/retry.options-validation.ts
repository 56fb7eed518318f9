import type { Clock } from '../common/clock.js';
import type { ErrorPredicate } from '../common/error-matcher.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { OptionChecker } from '../common/option-checker.js';
import type { ResolvedBackoff } from './backoff.js';
import type { BackoffOptions, RetryBudgetOptions, RetryOptions } from './retry.options.js';

/** Default retry name when `name` is not given. */
export const DEFAULT_RETRY_NAME = 'retry';

/** The defaults of every option, as documented on `RetryOptions`. */
export const RETRY_DEFAULTS = Object.freeze({
  maxAttempts: 3,
  backoff: Object.freeze({ kind: 'exponential', initialMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 'full' } as const),
  budget: Object.freeze({ percent: 20, minRetriesPerSecond: 10, ttlMs: 10_000 }),
  maxRetryAfterMs: 10_000,
});

/** The budget after defaults: `undefined` when disabled. */
export interface ResolvedRetryBudget {
  readonly percent: number;
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
}

/** Options after defaults and validation, in the form the policy runs on. */
export interface ResolvedRetryOptions {
  readonly name: string;
  readonly maxAttempts: number;
  readonly backoff: ResolvedBackoff;
  /** Compiled `retryOn`; undefined when every error is retried. */
  readonly retryOn: readonly ErrorPredicate[] | undefined;
  readonly budget: ResolvedRetryBudget | undefined;
  readonly maxRetryAfterMs: number;
  /** `Infinity` when unbounded. */
  readonly maxDurationMs: number;
  readonly clock: Clock;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof RetryOptions>([
  'name',
  'maxAttempts',
  'backoff',
  'retryOn',
  'budget',
  'maxRetryAfterMs',
  'maxDurationMs',
  'clock',
]);
const JITTERS: ReadonlySet<unknown> = new Set(['none', 'full', 'decorrelated']);

/**
 * Applies the defaults and checks every option of one retry policy; an option set to `undefined` takes its default.
 * @throws InvalidOptionError naming the policy, the option (dotted path) and the value, e.g.
 *   `Retry "db": option "maxAttempts" must be a positive integer, got 0`.
 */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('Retry', 'options', options, 'must be an object');
  }
  const name = options.name ?? DEFAULT_RETRY_NAME;
  if (typeof name !== 'string' || name.trim() === '') throw new InvalidOptionError('Retry', 'name', name, 'must be a non-empty string');
  const check = new RetryOptionChecker(`Retry "${name}"`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) check.fail(key, (options as Record<string, unknown>)[key], 'is not a retry option');
  }
  return {
    name,
    maxAttempts: check.positiveInteger('maxAttempts', options.maxAttempts, RETRY_DEFAULTS.maxAttempts),
    backoff: check.backoff(options.backoff),
    retryOn: options.retryOn === undefined ? undefined : check.matchers('retryOn', options.retryOn),
    budget: check.budget(options.budget),
    maxRetryAfterMs: check.nonNegativeMs('maxRetryAfterMs', options.maxRetryAfterMs, RETRY_DEFAULTS.maxRetryAfterMs),
    maxDurationMs: options.maxDurationMs === undefined ? Number.POSITIVE_INFINITY : check.positiveFinite('maxDurationMs', options.maxDurationMs),
    clock: check.clock(options.clock),
  };
}

class RetryOptionChecker extends OptionChecker {
  nonNegativeMs(option: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) this.fail(option, value, 'must be a finite number of ms >= 0');
    return value;
  }

  backoff(value: BackoffOptions | undefined): ResolvedBackoff {
    if (value === undefined) return RETRY_DEFAULTS.backoff;
    if (typeof value !== 'object' || value === null) this.fail('backoff', value, "must be an object with kind 'constant' or 'exponential'");
    if (value.kind === 'constant') {
      const delayMs = this.nonNegativeMs('backoff.delayMs', value.delayMs, Number.NaN);
      if (delayMs !== delayMs) this.fail('backoff.delayMs', value.delayMs, 'must be a finite number of ms >= 0');
      return { initialMs: delayMs, maxDelayMs: delayMs, multiplier: 1, jitter: 'none' };
    }
    if (value.kind !== 'exponential') {
      return this.fail('backoff.kind', (value as { kind: unknown }).kind, "must be 'constant' or 'exponential'");
    }
    const defaults = RETRY_DEFAULTS.backoff;
    const initialMs = value.initialMs === undefined ? defaults.initialMs : this.positiveFinite('backoff.initialMs', value.initialMs);
    const maxDelayMs = value.maxDelayMs === undefined ? Math.max(defaults.maxDelayMs, initialMs) : this.positiveFinite('backoff.maxDelayMs', value.maxDelayMs);
    if (maxDelayMs < initialMs) this.fail('backoff.maxDelayMs', maxDelayMs, `must be at least initialMs (${initialMs})`);
    const multiplier = value.multiplier ?? defaults.multiplier;
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
      this.fail('backoff.multiplier', multiplier, 'must be a finite number >= 1');
    }
    const jitter = value.jitter ?? defaults.jitter;
    if (!JITTERS.has(jitter)) this.fail('backoff.jitter', jitter, "must be 'none', 'full' or 'decorrelated'");
    return { initialMs, maxDelayMs, multiplier, jitter };
  }

  budget(value: RetryBudgetOptions | false | undefined): ResolvedRetryBudget | undefined {
    if (value === false) return undefined;
    if (value === undefined) return RETRY_DEFAULTS.budget;
    if (typeof value !== 'object' || value === null) this.fail('budget', value, 'must be an object or false');
    const defaults = RETRY_DEFAULTS.budget;
    const percent = value.percent ?? defaults.percent;
    if (typeof percent !== 'number' || !(percent >= 0 && percent <= 1_000)) this.fail('budget.percent', percent, 'must be a number in [0, 1000]');
    const minRetriesPerSecond = value.minRetriesPerSecond ?? defaults.minRetriesPerSecond;
    if (typeof minRetriesPerSecond !== 'number' || !Number.isFinite(minRetriesPerSecond) || minRetriesPerSecond < 0) {
      this.fail('budget.minRetriesPerSecond', minRetriesPerSecond, 'must be a finite number >= 0');
    }
    const ttlMs = value.ttlMs === undefined ? defaults.ttlMs : this.positiveFinite('budget.ttlMs', value.ttlMs);
    return { percent, minRetriesPerSecond, ttlMs };
  }
}

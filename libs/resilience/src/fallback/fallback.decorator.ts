import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';
import { recordComposed } from '../composition/composition-metadata.js';
import { FALLBACK_METADATA } from '../resilience.constants.js';

/** Options of `@Fallback()`. */
export interface FallbackDecoratorOptions {
  /**
   * A function, or the name of a method of the same provider; called with the provider as `this`, the call's
   * arguments, then the error.
   */
  fallback: string | ((...argsAndError: never[]) => unknown);
  /** Only errors matching one of these are answered. Default: every error (never a call its caller aborted). */
  handle?: ErrorMatcher[];
}

/**
 * Answers a failed call of the method instead of its error; the outermost stage, so under `@Retry()` it answers
 * only once the retries are over. Recorded here, resolved at bootstrap (an unknown method name fails there).
 *
 * ```ts
 * @Fallback('cachedQuote')
 * @Retry({ maxAttempts: 2 })
 * async quote(subject: string): Promise<Quote> { ... }
 * cachedQuote(subject: string, error: unknown): Quote { ... }
 * ```
 */
export function Fallback(
  fallback: FallbackDecoratorOptions['fallback'] | FallbackDecoratorOptions,
  options: Omit<FallbackDecoratorOptions, 'fallback'> = {},
): MethodDecorator {
  const recorded = typeof fallback === 'object' && fallback !== null ? { ...fallback } : { ...options, fallback };
  return recordComposed(FALLBACK_METADATA, recorded);
}

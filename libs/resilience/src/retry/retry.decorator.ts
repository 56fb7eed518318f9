import { recordComposed } from '../composition/composition-metadata.js';
import { RETRY_METADATA } from '../resilience.constants.js';
import type { RetryOptions } from './retry.options.js';

/** Options of `@Retry()`: the retry options, without the clock (the module's). */
export interface RetryDecoratorOptions extends Omit<RetryOptions, 'clock'> {
  /**
   * Policy name. Default `ClassName.methodName`. Methods that give the same name share one policy, and so
   * its retry budget; at most one set of options may be declared for a shared name.
   */
  name?: string;
  /**
   * A retry profile of the `ResilienceModule` options (`retry.profiles`): its options, merged over `retry.defaults`,
   * lie under this method's own. An unknown name fails at bootstrap, naming the known ones.
   */
  profile?: string;
}

/**
 * Retries a provider or controller method (returning a Promise) as `RetryPolicy` does: only recorded here,
 * applied at bootstrap by the library's explorer, where bad options fail. Composes with `@CircuitBreaker()`,
 * `@Bulkhead()`, `@Timeout()` and `@Fallback()` in one order, whatever order they are written in:
 * fallback → retry → breaker → bulkhead → timeout → call. The method returns a Promise once guarded.
 *
 * ```ts
 * @Retry({ maxAttempts: 3, retryOn: [isTransient] })
 * @CircuitBreaker('quotes')
 * async quote(subject: string): Promise<Quote> { ... }
 * ```
 */
export function Retry(nameOrOptions?: string | RetryDecoratorOptions): MethodDecorator {
  return recordComposed(RETRY_METADATA, typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions });
}

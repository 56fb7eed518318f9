import type { BulkheadDecoratorOptions } from '../bulkhead/bulkhead.decorator.js';
import { Bulkhead } from '../bulkhead/bulkhead.decorator.js';
import { CircuitBreaker, type CircuitBreakerDecoratorOptions } from '../breaker/circuit-breaker.decorator.js';
import { Fallback, type FallbackDecoratorOptions } from '../fallback/fallback.decorator.js';
import { Retry, type RetryDecoratorOptions } from '../retry/retry.decorator.js';
import { Timeout, type TimeoutDecoratorOptions } from '../timeout/timeout.decorator.js';

/** Every stage of `@Resilient()`; each field takes what the stage's own decorator takes. */
export interface ResilientOptions {
  fallback?: FallbackDecoratorOptions['fallback'] | FallbackDecoratorOptions;
  retry?: string | RetryDecoratorOptions;
  breaker?: string | CircuitBreakerDecoratorOptions;
  bulkhead?: string | BulkheadDecoratorOptions;
  timeout?: number | TimeoutDecoratorOptions;
}

/**
 * All of a method's resilience in one decorator, composed in the fixed order fallback → retry → breaker →
 * bulkhead → timeout → call; the same as writing `@Fallback()`, `@Retry()`, `@CircuitBreaker()`, `@Bulkhead()`
 * and `@Timeout()` (a stage given both ways fails at bootstrap).
 *
 * ```ts
 * @Resilient({ retry: { maxAttempts: 3 }, breaker: 'quotes', bulkhead: { maxConcurrent: 8 }, timeout: 500, fallback: 'cachedQuote' })
 * async quote(subject: string): Promise<Quote> { ... }
 * ```
 */
export function Resilient(options: ResilientOptions): MethodDecorator {
  const decorators: MethodDecorator[] = [];
  if (options.timeout !== undefined) decorators.push(Timeout(options.timeout));
  if (options.bulkhead !== undefined) decorators.push(Bulkhead(options.bulkhead));
  if (options.breaker !== undefined) decorators.push(CircuitBreaker(options.breaker));
  if (options.retry !== undefined) decorators.push(Retry(options.retry));
  if (options.fallback !== undefined) decorators.push(Fallback(options.fallback));
  return (target, key, descriptor) => {
    for (const decorate of decorators) decorate(target, key, descriptor);
    return descriptor;
  };
}

import { recordComposed } from '../composition/composition-metadata.js';
import { TIMEOUT_METADATA } from '../resilience.constants.js';
import type { TimeoutOptions } from './timeout.policy.js';

/** Options of `@Timeout()`. */
export type TimeoutDecoratorOptions = Omit<TimeoutOptions, 'clock'>;

/**
 * Gives each call (each attempt, under `@Retry()`) `timeoutMs`, as `TimeoutPolicy` does; the innermost stage,
 * so the breaker counts a timed-out attempt once and the bulkhead's queue wait is not timed. A method with a
 * `@BreakerSignal()` parameter receives a signal aborted on the timeout.
 *
 * ```ts
 * @Timeout(500)
 * async quote(subject: string, @BreakerSignal() signal?: AbortSignal): Promise<Quote> { ... }
 * ```
 */
export function Timeout(msOrOptions: number | TimeoutDecoratorOptions): MethodDecorator {
  return recordComposed(TIMEOUT_METADATA, typeof msOrOptions === 'number' ? { timeoutMs: msOrOptions } : { ...msOrOptions });
}

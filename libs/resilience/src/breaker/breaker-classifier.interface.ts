import type { ErrorMatcher } from './circuit-breaker.options.js';

/**
 * Error and result classification supplied by a provider, for `@CircuitBreaker({ classifier })`.
 * Any injectable works: the explorer resolves it from the container at bootstrap, so the rules may
 * depend on configuration or on other services (e.g. the driver's retryable error codes).
 * Each field maps to the breaker option of the same name; a field the decorator sets inline wins.
 *
 * ```ts
 * @Injectable()
 * export class PgClassifier implements BreakerClassifier {
 *   readonly ignoreErrors = [(e: unknown) => (e as { code?: string }).code === '23505']; // unique violation: caller's fault
 * }
 * ```
 */
export interface BreakerClassifier {
  /** Only errors matching one of these count as failures. */
  readonly recordErrors?: ErrorMatcher[];
  /** Errors matching one of these are ignored; takes precedence over `recordErrors`. */
  readonly ignoreErrors?: ErrorMatcher[];
  /** A resolved value for which this returns true counts as a failure. Called with the classifier as `this`. */
  recordResult?(result: unknown): boolean;
}

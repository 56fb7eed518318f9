import type { Clock } from '../common/clock.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.snapshot.js';

/**
 * A constructor (matched with `instanceof`) or a predicate over the thrown value. A function counts as a
 * class when it is declared with `class`, is `Error` or inherits from `Error.prototype`, or has prototype
 * members besides `constructor`; arrow functions, methods, bound and plain `function` predicates are called.
 */
export type ErrorMatcher = (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean);

/**
 * How failures are detected while CLOSED.
 * - `consecutive`: trips after `failures` failed calls in a row (a success resets the count); `minimumCalls`
 *   and the rate thresholds do not apply.
 * - `count`: the last `size` calls; trips when the failure rate or slow-call rate reaches its threshold
 *   once at least `minimumCalls` are recorded.
 * - `time`: the calls of the last `durationMs`, kept in `buckets` buckets (default 10); a bucket older
 *   than the window never counts, also after an idle gap longer than the window.
 */
export type FailureWindowOptions =
  | { kind: 'consecutive'; failures: number }
  | { kind: 'count'; size: number }
  | { kind: 'time'; durationMs: number; buckets?: number };

/** Exponential open duration across consecutive trips; reset once the breaker closes. */
export interface OpenBackoffOptions {
  /** First open duration. */
  initialMs: number;
  /** Upper bound. */
  maxMs: number;
  /** Growth factor per consecutive trip. Default 2. */
  multiplier?: number;
  /** Random spread as a fraction of the delay, 0..1 (0.2 → ±20 %). Default 0. */
  jitter?: number;
}

/**
 * Called instead of surfacing the error: with the original call's arguments, then the error.
 * Runs for rejections (open circuit) and timeouts; for failures only with `fallbackOnFailure`.
 */
export type FallbackFn<TArgs extends unknown[] = unknown[], TResult = unknown> = (
  ...argsAndError: [...TArgs, unknown]
) => TResult | Promise<TResult>;

/** Options of one circuit breaker. Every field is optional; defaults are listed per field. */
export interface CircuitBreakerOptions {
  /** Name in the registry, metrics and errors. Decorator default: `ClassName.methodName`. */
  name?: string;
  /** Failure detection strategy. Default `{ kind: 'count', size: 20 }`. */
  window?: FailureWindowOptions;
  /** Calls recorded in the window before any rate is evaluated (count and time windows). Default 10. */
  minimumCalls?: number;
  /** Percent (0 < x ≤ 100) of failed calls that trips the breaker. Default 50. */
  failureRateThreshold?: number;
  /** A call taking at least this long is slow. Default: slow-call detection off. */
  slowCallDurationMs?: number;
  /** Percent (0 < x ≤ 100) of slow calls that trips the breaker. Default 100. */
  slowCallRateThreshold?: number;
  /** How long the breaker stays OPEN: a fixed duration or exponential backoff. Default 30 000 ms. */
  openDurationMs?: number | OpenBackoffOptions;
  /** Probe calls admitted in HALF_OPEN; further callers are rejected. Default 1. */
  permittedCallsInHalfOpen?: number;
  /** Percent (0 < x ≤ 100) of successful probes needed to close. Default 100. */
  halfOpenSuccessRateThreshold?: number;
  /**
   * A probe that has not settled after this long is counted as failed and the breaker re-opens. Default
   * 60 000 ms. A HALF_OPEN rejection's `retryAfterMs` is bounded by it, or by `timeoutMs` when shorter.
   */
  maxWaitInHalfOpenMs?: number;
  /**
   * Per-call timeout in ms; the call's AbortSignal aborts and the caller gets `CircuitBreakerTimeoutError`.
   * Calls share one timer. A call times out `timeoutMs` after it started, never earlier; a call that starts
   * while no other timed call is in flight may time out up to a tick later (`timeoutMs / 16`, at least
   * 1 ms, at most 50 ms), since it skips a clock reading. A per-call signal is built only for a function
   * that declares a parameter to receive it (it costs microseconds on Node 20); a decorated method receives
   * it with `@BreakerSignal()`. Default: none.
   */
  timeoutMs?: number;
  /**
   * Only errors matching one of these count as failures; others are ignored. Default: every error counts,
   * except a `BulkheadRejectedError` (overload is not an outage), which counts only when matched here.
   */
  recordErrors?: ErrorMatcher[];
  /** Errors matching one of these are ignored (neither success nor failure). Takes precedence over `recordErrors`. */
  ignoreErrors?: ErrorMatcher[];
  /** A resolved value for which this returns true counts as a failure (the value is still returned). */
  recordResult?: (result: unknown) => boolean;
  /** Fallback function; the decorator also accepts the name of a method on the same provider. */
  fallback?: FallbackFn | string;
  /** Also run the fallback when a call fails (not only on rejection and timeout). Default false. */
  fallbackOnFailure?: boolean;
  /** Time source. Default: `systemClock`. */
  clock?: Clock;
  /** State to restore, as produced by `toJSON()`. */
  initialState?: CircuitBreakerSnapshot;
}

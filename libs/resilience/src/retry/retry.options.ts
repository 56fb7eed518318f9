import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';
import type { Clock } from '../common/clock.js';

/**
 * The wait before each retry.
 * - `constant`: `delayMs` every time (0 retries at once, without a timer).
 * - `exponential`: the n-th retry waits up to `initialMs · multiplier^(n-1)`, capped at `maxDelayMs`, spread by
 *   `jitter`: `'none'` (exactly that), `'full'` (uniformly in [0, that]: AWS's "full jitter", the default), or
 *   `'decorrelated'` (uniformly in [initialMs, 3 × the previous wait], capped: AWS's "decorrelated jitter";
 *   `multiplier` does not apply).
 */
export type BackoffOptions =
  | { kind: 'constant'; delayMs: number }
  | {
      kind: 'exponential';
      /** First wait (ms). Default 100. */
      initialMs?: number;
      /** Longest wait (ms). Default 10 000. */
      maxDelayMs?: number;
      /** Growth per retry. Default 2. */
      multiplier?: number;
      /** Default `'full'`. */
      jitter?: 'none' | 'full' | 'decorrelated';
    };

/**
 * A token bucket shared by every call of one retry policy, so retries cannot multiply the load on a
 * dependency in an outage (Finagle's and Envoy's lesson): each call deposits `percent / 100` of a token,
 * each retry takes one, and deposits and withdrawals expire after `ttlMs`. Over any `ttlMs`, retries stay
 * within `percent` % of the calls plus `minRetriesPerSecond · ttlMs / 1000`, so a quiet service can still retry.
 */
export interface RetryBudgetOptions {
  /** Retries allowed as a percentage of calls, in [0, 1000]. Default 20. */
  percent?: number;
  /** Retries always allowed per second, whatever the traffic (averaged over `ttlMs`). Default 10. */
  minRetriesPerSecond?: number;
  /** How long a deposit or a withdrawal counts (ms). Default 10 000. */
  ttlMs?: number;
}

/** Options of one retry policy. Every field is optional; defaults are listed per field. */
export interface RetryOptions {
  /** Name in the registry, metrics and events. Decorator default: `ClassName.methodName`; class default `retry`. */
  name?: string;
  /** Attempts in all, the first included (1 means no retry). Default 3. */
  maxAttempts?: number;
  /** The wait before each retry. Default `{ kind: 'exponential', initialMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 'full' }`. */
  backoff?: BackoffOptions;
  /**
   * Only errors matching one of these are retried: classes (`instanceof`) or predicates, as the breaker's
   * `recordErrors`. Default: every error. A call its caller aborted is never retried.
   */
  retryOn?: ErrorMatcher[];
  /**
   * The shared retry budget, or `false` for none. Default `{ percent: 20, minRetriesPerSecond: 10, ttlMs: 10_000 }`.
   */
  budget?: RetryBudgetOptions | false;
  /**
   * Longest `retryAfterMs` / pushback hint obeyed (an open breaker's retry-after, gRPC `grpc-retry-pushback-ms`
   * or `retry-after-ms`): a longer hint ends the retries, since the dependency will not be back in time to be
   * worth holding the caller for. A hint shorter than the backoff delay changes nothing. Default 10 000.
   */
  maxRetryAfterMs?: number;
  /**
   * Bound on one whole call, every attempt and wait included (ms): a retry whose wait would end at or past it
   * is not started, and stages inside (a timeout) get it as their deadline. The caller may pass a nearer
   * deadline to `execute`. Default: none.
   */
  maxDurationMs?: number;
  /** Time source of waits, deadlines and the budget. Default `systemClock` (unref'd timers). */
  clock?: Clock;
}

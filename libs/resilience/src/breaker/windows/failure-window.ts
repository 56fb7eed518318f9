/**
 * A failure-detection strategy for the CLOSED state (the shape of cockatiel's `IBreaker`): the breaker
 * reports each counted call and trips when the window says so. Every method is O(1) in the window size.
 * `now` is clock time in ms; windows that do not slide over time ignore it.
 */
export interface FailureWindow {
  /** Whether `now` matters; when false the breaker may pass NaN and skip reading the clock. */
  readonly needsTime: boolean;
  /** Records a successful call; returns true when the breaker should trip (a slow success can trip it). */
  success(slow: boolean, now: number): boolean;
  /** Records a failed call; returns true when the breaker should trip. */
  failure(slow: boolean, now: number): boolean;
  /** Forgets every recorded call. */
  reset(): void;
  /** Why the last `success`/`failure` that returned true trips, e.g. `failure rate 60% >= 50% over 10 calls`. */
  tripReason(now: number): string;
  /** The window as metrics show it. */
  stats(now: number): FailureWindowStats;
}

/** Rates over the current window. */
export interface FailureWindowStats {
  /** Calls recorded in the window. */
  bufferedCalls: number;
  /** Percent of failed calls; -1 until `minimumCalls` are recorded, and always for a consecutive window. */
  failureRate: number;
  /** Percent of slow calls; -1 until `minimumCalls` are recorded, and always for a consecutive window. */
  slowCallRate: number;
}

/** Thresholds of the rate-based windows (count and time). */
export interface RateThresholds {
  /** Calls needed before any rate is evaluated. */
  readonly minimumCalls: number;
  /** Percent in (0, 100]. */
  readonly failureRateThreshold: number;
  /** Percent in (0, 100]. */
  readonly slowCallRateThreshold: number;
}

/** True when either rate reaches its threshold over at least `minimumCalls` calls. */
export function ratesExceeded(calls: number, failed: number, slow: number, t: RateThresholds): boolean {
  return (
    calls >= t.minimumCalls &&
    (failed * 100 >= t.failureRateThreshold * calls || slow * 100 >= t.slowCallRateThreshold * calls)
  );
}

/** Stats of a rate-based window holding `calls` calls. */
export function rateStats(calls: number, failed: number, slow: number, minimumCalls: number): FailureWindowStats {
  if (calls < minimumCalls || calls === 0) return { bufferedCalls: calls, failureRate: -1, slowCallRate: -1 };
  return { bufferedCalls: calls, failureRate: (failed * 100) / calls, slowCallRate: (slow * 100) / calls };
}

/** Names the rate that trips, for the state-change reason. */
export function describeTrip(calls: number, failed: number, slow: number, t: RateThresholds): string {
  const failureRate = (failed * 100) / calls;
  if (failureRate >= t.failureRateThreshold) {
    return `failure rate ${percent(failureRate)} >= ${percent(t.failureRateThreshold)} over ${calls} calls`;
  }
  return `slow-call rate ${percent((slow * 100) / calls)} >= ${percent(t.slowCallRateThreshold)} over ${calls} calls`;
}

function percent(value: number): string {
  return `${Math.round(value * 100) / 100}%`;
}

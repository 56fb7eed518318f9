import type { CircuitState } from './circuit-state.js';

interface BreakerEventBase {
  /** Breaker name. */
  breaker: string;
  /** Clock time of the event (ms). */
  at: number;
}

/** The breaker moved between states. */
export interface StateChangeEvent extends BreakerEventBase {
  type: 'state_change';
  from: CircuitState;
  to: CircuitState;
  /** Why: e.g. `failure rate 60% >= 50%`, `open duration elapsed`, `operator: maintenance`. */
  reason: string;
}

/** A permitted call completed and counted as a success. */
export interface SuccessEvent extends BreakerEventBase {
  type: 'success';
  /**
   * Call duration (ms). -1 when it was not measured: the breaker reads the clock at admission only for
   * slow-call detection or when `events$` had a subscriber, so a call admitted before anyone subscribed has none.
   */
  durationMs: number;
  slow: boolean;
}

/** A permitted call failed (error, failing result, or timeout) and counted as a failure. */
export interface FailureEvent extends BreakerEventBase {
  type: 'failure';
  /** As on `SuccessEvent` (-1 when not measured). */
  durationMs: number;
  slow: boolean;
  /** The error, the `CircuitBreakerTimeoutError`, or the result that `recordResult` counted as a failure. */
  error: unknown;
}

/** A call's error was ignored by classification or the caller cancelled it: not counted. */
export interface IgnoredEvent extends BreakerEventBase {
  type: 'ignored';
  /** As on `SuccessEvent` (-1 when not measured; 0 when the caller's signal was aborted before the call). */
  durationMs: number;
  error: unknown;
}

/** A call was not permitted (OPEN, FORCED_OPEN, or HALF_OPEN with every probe slot taken). */
export interface RejectedEvent extends BreakerEventBase {
  type: 'rejected';
  state: CircuitState;
  /** As on `CircuitBreakerOpenError`: -1 when FORCED_OPEN. */
  retryAfterMs: number;
}

/** A call exceeded `timeoutMs`; it is also reported as a `failure`. */
export interface TimeoutEvent extends BreakerEventBase {
  type: 'timeout';
  timeoutMs: number;
}

export type CircuitBreakerEvent =
  | StateChangeEvent
  | SuccessEvent
  | FailureEvent
  | IgnoredEvent
  | RejectedEvent
  | TimeoutEvent;

/** Call outcomes as counted by the breaker (Resilience4j's kinds). */
export interface CallCounts {
  successful: number;
  failed: number;
  ignored: number;
  notPermitted: number;
  /** Subset of `failed` that timed out. */
  timedOut: number;
  /** Calls at or over `slowCallDurationMs` (successful or failed). */
  slow: number;
}

/** A point-in-time view of one breaker. */
export interface CircuitBreakerMetrics {
  name: string;
  state: CircuitState;
  /** Totals since creation (or restore). */
  calls: CallCounts;
  /** Failure rate in percent over the current window; -1 until `minimumCalls` are recorded, and always with a consecutive window. */
  failureRate: number;
  /** Slow-call rate in percent over the current window; -1 until `minimumCalls` are recorded, and always with a consecutive window. */
  slowCallRate: number;
  /** Calls currently recorded in the window (with a consecutive window: the current run of failures). */
  bufferedCalls: number;
  /** Calls in flight right now. */
  inFlight: number;
  /** Time since the last transition (ms). */
  timeInStateMs: number;
  /** Number of state transitions since creation (or restore). */
  transitions: number;
  /** Consecutive trips (drives exponential open duration); 0 once closed. */
  consecutiveTrips: number;
}

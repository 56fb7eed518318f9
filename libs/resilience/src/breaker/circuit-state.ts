/**
 * Breaker states. CLOSED / OPEN / HALF_OPEN are automatic; the other three are set only by
 * an operator (see `BreakerRegistry`) and stay until an operator changes them.
 */
export enum CircuitState {
  /** Calls flow; outcomes are recorded in the failure window. */
  CLOSED = 'CLOSED',
  /** Calls are rejected with `CircuitBreakerOpenError` until the open duration elapses. */
  OPEN = 'OPEN',
  /** A limited number of probe calls decide between CLOSED and OPEN. */
  HALF_OPEN = 'HALF_OPEN',
  /** Operator hold: every call is rejected, no automatic transition. */
  FORCED_OPEN = 'FORCED_OPEN',
  /** Operator bypass: always permits, still records outcomes, never transitions. */
  DISABLED = 'DISABLED',
  /**
   * Shadow mode: records and emits call events like CLOSED, and `metrics()` shows the window's rates (so you
   * can see whether it would trip), but never rejects or transitions.
   */
  METRICS_ONLY = 'METRICS_ONLY',
}

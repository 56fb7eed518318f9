/**
 * One admitted call, for callers that cannot hand the breaker a function returning a promise (an rxjs
 * Observable, a stream): report exactly one outcome. Every method is a no-op once the call has settled,
 * including after the breaker timed it out.
 */
export interface BreakerPermit {
  /**
   * The call's own signal. With `timeoutMs` it is a per-call signal, merged with the caller's, aborted
   * with a `CircuitBreakerTimeoutError` reason when the call times out (listen to it: that is how a
   * permit holder learns of the timeout). Without `timeoutMs` the breaker never aborts anything, and this
   * is the caller's signal, or a shared signal that never aborts.
   */
  readonly signal: AbortSignal;
  /** The call returned `result`; `recordResult` decides whether it counts as a failure. */
  success(result?: unknown): void;
  /** The call failed; `ignoreErrors` / `recordErrors` decide whether it counts. Ignored when the caller aborted. */
  failure(error: unknown): void;
  /** The call was abandoned (e.g. an unsubscribed Observable): counted as ignored. */
  cancel(): void;
}

import type { Observable } from 'rxjs';
import type { CallCounts, CircuitBreakerEvent, StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import type { BulkheadMetrics } from '../bulkhead/bulkhead.events.js';
import type { RetryMetrics } from '../retry/retry.events.js';
import type { CircuitState } from '../breaker/circuit-state.js';
import type { HealthEvent } from '../health/health.events.js';
import type { HealthScope } from '../health/health-status.js';

/**
 * What a breaker's `metrics()` gives the breaker metrics, read at scrape time. `CircuitBreakerMetrics` is one;
 * a window field left out (a source of your own) leaves its gauge out for that breaker.
 */
export interface BreakerMetricsView {
  /** Totals since creation: `circuit_breaker_calls_total` and `circuit_breaker_slow_calls_total`. */
  readonly calls: CallCounts;
  /** Percent over the current window, -1 until `minimumCalls` are recorded. */
  readonly failureRate?: number;
  /** Percent over the current window, -1 until `minimumCalls` are recorded. */
  readonly slowCallRate?: number;
  /** Calls recorded in the window now. */
  readonly bufferedCalls?: number;
}

/** What the breaker metrics read. `BreakerRegistry` is one; pass your own to `MetricsModule.forRoot({ breakers })`. */
export interface BreakerMetricsSource {
  /** Every breaker now, read at scrape time: its state (gauge) and its totals and window (`metrics()`). */
  list(): Iterable<{ readonly name: string; readonly state: CircuitState; metrics(): BreakerMetricsView }>;
  /** Every breaker's state changes, merged, including breakers added later (counted as transitions). */
  readonly stateChanges$: Observable<StateChangeEvent>;
  /**
   * Every breaker's call events, merged. Read only by the opt-in `breakerCallDuration` histogram (a subscriber
   * makes each breaker read the clock and build an event per call); required when that option is on.
   */
  readonly events$?: Observable<CircuitBreakerEvent>;
}

/** What the health metrics read. `HealthRegistry` is one; pass your own to `MetricsModule.forRoot({ health })`. */
export interface HealthMetricsSource {
  /**
   * Every component now, read at scrape time: the status gauge; `since` (when the current status began, clock
   * ms) for the time spent in each status; `heal.state` for the heal-state gauge (components that heal).
   */
  components(): Iterable<{
    readonly name: string;
    readonly type: string;
    readonly status: string;
    readonly since?: number;
    readonly heal?: { readonly state: string };
  }>;
  /** The status of the system or a probe group (read at scrape time). Optional. */
  status?(scope: HealthScope): string;
  /**
   * Health events: `check_completed` and `heal_attempt` are counted, `status_change` and `component_registered`
   * time the statuses, `aggregate_change` counts the transitions of the system and probe groups.
   */
  readonly events$: Observable<HealthEvent>;
}

/** What the retry metrics read at scrape time. `RetryRegistry` is one. */
export interface RetryMetricsSource {
  list(): readonly { readonly name: string; metrics(): Pick<RetryMetrics, 'attempts' | 'retries' | 'calls'> }[];
}

/** What the bulkhead metrics read at scrape time. `BulkheadRegistry` is one. */
export interface BulkheadMetricsSource {
  list(): readonly { readonly name: string; metrics(): Pick<BulkheadMetrics, 'active' | 'queued' | 'maxConcurrent' | 'calls'> }[];
}

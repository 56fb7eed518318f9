import type { Observable } from 'rxjs';
import type { CallCounts, StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import type { BulkheadMetrics } from '../bulkhead/bulkhead.events.js';
import type { RetryMetrics } from '../retry/retry.events.js';
import type { CircuitState } from '../breaker/circuit-state.js';
import type { HealthEvent } from '../health/health.events.js';
import type { HealthScope } from '../health/health-status.js';

/** What the breaker metrics read. `BreakerRegistry` is one; pass your own to `MetricsModule.forRoot({ breakers })`. */
export interface BreakerMetricsSource {
  /** Every breaker now, read at scrape time: its state (gauge) and its call totals (`metrics().calls`). */
  list(): Iterable<{ readonly name: string; readonly state: CircuitState; metrics(): { readonly calls: CallCounts } }>;
  /** Every breaker's state changes, merged, including breakers added later (counted as transitions). */
  readonly stateChanges$: Observable<StateChangeEvent>;
}

/** What the health metrics read. `HealthRegistry` is one; pass your own to `MetricsModule.forRoot({ health })`. */
export interface HealthMetricsSource {
  /** Every component now (read at scrape time for the status gauge). */
  components(): Iterable<{ readonly name: string; readonly type: string; readonly status: string }>;
  /** The status of the system or a probe group (read at scrape time). Optional. */
  status?(scope: HealthScope): string;
  /** Health events; `check_completed` and `heal_attempt` are counted. */
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

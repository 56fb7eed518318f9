import type { CallCounts } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import type { BreakerMetricsSource, BreakerMetricsView } from './metrics.sources.js';

// What the breaker metrics read and the label values they report, shared by the Prometheus metrics and the
// OpenTelemetry bridge (neither prom-client nor OpenTelemetry is imported here).

/** Every breaker state. @internal */
export const CIRCUIT_STATES: readonly CircuitState[] = Object.values(CircuitState);

/** The `outcome` label of `circuit_breaker_calls_total`. */
export type CallOutcome = 'successful' | 'failed' | 'ignored' | 'not_permitted' | 'timeout';
/** Each `outcome` label and the `CallCounts` field it reads. @internal shared with the OpenTelemetry bridge. */
export const CALL_OUTCOMES: readonly (readonly [CallOutcome, keyof CallCounts])[] = [
  ['successful', 'successful'],
  ['failed', 'failed'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
  ['timeout', 'timedOut'],
];

/** The window fields of `metrics()` that a gauge reports. @internal */
export type WindowField = keyof Omit<BreakerMetricsView, 'calls'>;

/** The window gauges: metric name (after the prefix), help, and the `metrics()` field each reads. @internal */
export const WINDOW_GAUGES: readonly (readonly [string, string, WindowField])[] = [
  ['circuit_breaker_failure_rate', 'Failure rate in percent over the breaker\'s window; -1 until minimumCalls are recorded.', 'failureRate'],
  ['circuit_breaker_slow_call_rate', 'Slow-call rate in percent over the breaker\'s window; -1 until minimumCalls are recorded.', 'slowCallRate'],
  ['circuit_breaker_buffered_calls', 'Calls recorded in the breaker\'s window now.', 'bufferedCalls'],
];

/** One breaker as read at scrape time. */
export interface BreakerReading {
  readonly name: string;
  readonly state: CircuitState;
  readonly metrics: BreakerMetricsView;
}

/**
 * Reads every breaker's state and `metrics()` once per scrape for all the breaker metrics. A registry calls
 * every metric's `collect` in one synchronous run, so the reading is kept until the next microtask: a
 * scrape reads each breaker once, and the next scrape reads afresh. @internal
 */
export class BreakerReadings {
  private current: BreakerReading[] | undefined;

  constructor(private readonly source: BreakerMetricsSource) {}

  read(): readonly BreakerReading[] {
    if (this.current === undefined) {
      this.current = Array.from(this.source.list(), (breaker) => ({ name: breaker.name, state: breaker.state, metrics: breaker.metrics() }));
      queueMicrotask(() => (this.current = undefined));
    }
    return this.current;
  }
}

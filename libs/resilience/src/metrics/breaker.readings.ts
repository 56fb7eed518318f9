import type { CircuitState } from '../breaker/circuit-state.js';
import type { BreakerMetricsSource, BreakerMetricsView } from './metrics.sources.js';

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

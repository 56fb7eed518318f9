import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import type { CircuitBreakerEvent } from '../breaker/circuit-breaker.events.js';
import { BreakerReadings, CALL_OUTCOMES, CIRCUIT_STATES as STATES, WINDOW_GAUGES, type WindowField } from './breaker.readings.js';
import type { BreakerMetricsSource } from './metrics.sources.js';

export type { CallOutcome } from './breaker.readings.js';

/** Options of {@link BreakerMetrics}. */
export interface BreakerMetricsConfig {
  /** Buckets (seconds) of the opt-in `circuit_breaker_call_duration_seconds`; undefined: no histogram. */
  callDurationBuckets: number[] | undefined;
}

/**
 * Breaker metrics. Nothing runs per call unless the duration histogram is on: the gauges and counters are read
 * from the breakers at scrape time (`metrics()`, which every breaker keeps anyway, read once per breaker and
 * scrape), and only state changes are followed as they happen.
 * - `circuit_breaker_state{name,state}`: 1 for the current state, 0 for the others;
 * - `circuit_breaker_calls_total{name,outcome}`: `failed` includes `timeout`, which is also counted alone;
 * - `circuit_breaker_slow_calls_total{name}`: calls at or over `slowCallDurationMs`, successful or failed;
 * - `circuit_breaker_failure_rate{name}`, `circuit_breaker_slow_call_rate{name}`: percent over the window,
 *   -1 until `minimumCalls` are recorded (as Resilience4j reports them);
 * - `circuit_breaker_buffered_calls{name}`: calls recorded in the window;
 * - `circuit_breaker_transitions_total{name,from,to}`;
 * - opt-in `circuit_breaker_call_duration_seconds{name,outcome}` (histogram; outcome `successful` | `failed`),
 *   fed by the breakers' `events$`, which costs a clock read and an event per call.
 */
export class BreakerMetrics {
  private readonly transitions: Counter<'name' | 'from' | 'to'>;
  private readonly callDuration: Histogram<'name' | 'outcome'> | undefined;
  /** Per breaker, the histogram's two children: labels are resolved once, not per call. */
  private readonly durations = new Map<string, Record<'successful' | 'failed', Histogram.Internal<'name' | 'outcome'>>>();

  constructor(
    registry: Registry,
    prefix: string,
    private readonly source: BreakerMetricsSource,
    config: BreakerMetricsConfig,
  ) {
    const readings = new BreakerReadings(source);
    const state = new Gauge({
      name: `${prefix}circuit_breaker_state`,
      help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
      labelNames: ['name', 'state'],
      registers: [registry],
      collect: () => {
        state.reset();
        for (const breaker of readings.read()) {
          for (const s of STATES) state.set({ name: breaker.name, state: s }, breaker.state === s ? 1 : 0);
        }
      },
    });
    const calls = new Counter({
      name: `${prefix}circuit_breaker_calls_total`,
      help: 'Calls through a circuit breaker by outcome (failed includes timeout; not_permitted = rejected).',
      labelNames: ['name', 'outcome'],
      registers: [registry],
      // The breaker's own totals: monotonic for the breaker's lifetime, every outcome present from the start.
      collect: () => {
        calls.reset();
        for (const { name, metrics } of readings.read()) {
          for (const [outcome, key] of CALL_OUTCOMES) calls.inc({ name, outcome }, metrics.calls[key]);
        }
      },
    });
    const slow = new Counter({
      name: `${prefix}circuit_breaker_slow_calls_total`,
      help: 'Calls through a circuit breaker at or over slowCallDurationMs (successful or failed).',
      labelNames: ['name'],
      registers: [registry],
      collect: () => {
        slow.reset();
        for (const { name, metrics } of readings.read()) slow.inc({ name }, metrics.calls.slow);
      },
    });
    for (const [name, help, field] of WINDOW_GAUGES) windowGauge(registry, `${prefix}${name}`, help, readings, field);
    this.transitions = new Counter({
      name: `${prefix}circuit_breaker_transitions_total`,
      help: 'Circuit breaker state transitions.',
      labelNames: ['name', 'from', 'to'],
      registers: [registry],
    });
    if (config.callDurationBuckets !== undefined) {
      this.callDuration = new Histogram({
        name: `${prefix}circuit_breaker_call_duration_seconds`,
        help: 'Duration of the calls a circuit breaker permitted, by outcome (successful, failed). Opt-in.',
        labelNames: ['name', 'outcome'],
        buckets: config.callDurationBuckets,
        registers: [registry],
      });
    }
  }

  /** Counts state transitions (and, with the histogram, times calls) until the returned subscription is unsubscribed. */
  follow(): Subscription {
    const subscription = new Subscription();
    subscription.add(
      this.source.stateChanges$.subscribe((event) => {
        this.transitions.inc({ name: event.breaker, from: event.from, to: event.to });
      }),
    );
    if (this.callDuration !== undefined) {
      // resolveMetricsOptions refuses the histogram for a source without events$.
      subscription.add(this.source.events$!.subscribe((event) => this.observe(event)));
    }
    return subscription;
  }

  private observe(event: CircuitBreakerEvent): void {
    // -1: the call was admitted before the subscription, so the breaker did not time it.
    if ((event.type !== 'success' && event.type !== 'failure') || event.durationMs < 0) return;
    let children = this.durations.get(event.breaker);
    if (children === undefined) {
      const histogram = this.callDuration!;
      children = { successful: histogram.labels(event.breaker, 'successful'), failed: histogram.labels(event.breaker, 'failed') };
      this.durations.set(event.breaker, children);
    }
    (event.type === 'success' ? children.successful : children.failed).observe(event.durationMs / 1000);
  }
}

function windowGauge(
  registry: Registry,
  name: string,
  help: string,
  readings: BreakerReadings,
  field: WindowField,
): void {
  const gauge: Gauge<'name'> = new Gauge({
    name,
    help,
    labelNames: ['name'],
    registers: [registry],
    collect: () => {
      gauge.reset();
      for (const { name: breaker, metrics } of readings.read()) {
        const value = metrics[field];
        if (value !== undefined) gauge.set({ name: breaker }, value);
      }
    },
  });
}

import type { Attributes, Counter, Histogram, Meter, Observable, ObservableGauge } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { CircuitBreakerEvent } from '../breaker/circuit-breaker.events.js';
import { CALL_OUTCOMES, CIRCUIT_STATES, WINDOW_GAUGES, type WindowField } from '../metrics/breaker.readings.js';
import type { BreakerMetricsSource } from '../metrics/metrics.sources.js';

const WINDOW_UNITS: Record<WindowField, string> = { failureRate: '%', slowCallRate: '%', bufferedCalls: '{call}' };

/**
 * The breaker metrics of `MetricsModule` as OpenTelemetry instruments, under the same names without the Prometheus
 * suffixes (`circuit_breaker_calls`, a counter, is `circuit_breaker_calls_total` once a Prometheus exporter adds
 * it back) and with the same attributes. Read from the breakers in one batch callback per collection (nothing per
 * call), transitions counted as they happen; the opt-in `circuit_breaker_call_duration` histogram (unit `s`)
 * follows `events$`.
 */
export class BreakerInstruments {
  private readonly transitions: Counter;
  private readonly callDuration: Histogram | undefined;

  constructor(
    private readonly meter: Meter,
    private readonly prefix: string,
    private readonly source: BreakerMetricsSource,
    callDurationBuckets: number[] | undefined,
  ) {
    this.transitions = meter.createCounter(`${prefix}circuit_breaker_transitions`, {
      description: 'Circuit breaker state transitions.',
      unit: '{transition}',
    });
    if (callDurationBuckets !== undefined) {
      this.callDuration = meter.createHistogram(`${prefix}circuit_breaker_call_duration`, {
        description: 'Duration of the calls a circuit breaker permitted, by outcome (successful, failed). Opt-in.',
        unit: 's',
        advice: { explicitBucketBoundaries: callDurationBuckets },
      });
    }
  }

  /** Reports until the returned subscription is unsubscribed (which also removes the batch callback). */
  start(): Subscription {
    const { meter, prefix, source } = this;
    const state = meter.createObservableGauge(`${prefix}circuit_breaker_state`, {
      description: 'Circuit breaker state: 1 for the current state, 0 for the others.',
    });
    const calls = meter.createObservableCounter(`${prefix}circuit_breaker_calls`, {
      description: 'Calls through a circuit breaker by outcome (failed includes timeout; not_permitted = rejected).',
      unit: '{call}',
    });
    const slow = meter.createObservableCounter(`${prefix}circuit_breaker_slow_calls`, {
      description: 'Calls through a circuit breaker at or over slowCallDurationMs (successful or failed).',
      unit: '{call}',
    });
    const windows: [ObservableGauge, WindowField][] = WINDOW_GAUGES.map(([name, description, field]) => [
      meter.createObservableGauge(`${prefix}${name}`, { description, unit: WINDOW_UNITS[field] }),
      field,
    ]);
    const observables: Observable[] = [state, calls, slow, ...windows.map(([gauge]) => gauge)];
    const callback = (result: { observe(metric: Observable, value: number, attributes?: Attributes): void }) => {
      for (const breaker of source.list()) {
        const { name } = breaker;
        const current = breaker.state;
        const metrics = breaker.metrics();
        for (const s of CIRCUIT_STATES) result.observe(state, current === s ? 1 : 0, { name, state: s });
        for (const [outcome, key] of CALL_OUTCOMES) result.observe(calls, metrics.calls[key], { name, outcome });
        result.observe(slow, metrics.calls.slow, { name });
        for (const [gauge, field] of windows) {
          const value = metrics[field];
          if (value !== undefined) result.observe(gauge, value, { name });
        }
      }
    };
    meter.addBatchObservableCallback(callback, observables);
    const subscription = new Subscription(() => meter.removeBatchObservableCallback(callback, observables));
    subscription.add(
      source.stateChanges$.subscribe((event) => this.transitions.add(1, { name: event.breaker, from: event.from, to: event.to })),
    );
    // resolveOpenTelemetryMetricsOptions refuses the histogram for a source without events$.
    if (this.callDuration !== undefined) subscription.add(source.events$!.subscribe((event) => this.observe(event)));
    return subscription;
  }

  private observe(event: CircuitBreakerEvent): void {
    // -1: the call was admitted before the subscription, so the breaker did not time it.
    if ((event.type !== 'success' && event.type !== 'failure') || event.durationMs < 0) return;
    this.callDuration!.record(event.durationMs / 1000, { name: event.breaker, outcome: event.type === 'success' ? 'successful' : 'failed' });
  }
}

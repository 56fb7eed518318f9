import type { Attributes, Meter, Observable } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { BulkheadMetricsSource, RetryMetricsSource } from '../metrics/metrics.sources.js';
import { BULKHEAD_OUTCOMES, RETRY_OUTCOMES } from '../metrics/policy.readings.js';

type BatchResult = { observe(metric: Observable, value: number, attributes?: Attributes): void };

/**
 * The retry and bulkhead metrics of `MetricsModule` as OpenTelemetry instruments (counters without `_total`), read
 * from the policies in one batch callback per collection: nothing per call. Unsubscribing removes the callback.
 */
export function startPolicyInstruments(
  meter: Meter,
  prefix: string,
  retries: RetryMetricsSource | undefined,
  bulkheads: BulkheadMetricsSource | undefined,
): Subscription {
  const subscription = new Subscription();
  if (retries) {
    const calls = meter.createObservableCounter(`${prefix}retry_calls`, {
      description: 'Calls through a retry policy by how they ended (success, success_after_retry, or why retrying stopped).',
      unit: '{call}',
    });
    const attempts = meter.createObservableCounter(`${prefix}retry_attempts`, {
      description: 'Attempts made through a retry policy, first attempts included.',
      unit: '{attempt}',
    });
    const retried = meter.createObservableCounter(`${prefix}retry_retries`, {
      description: 'Retries made through a retry policy (attempts after the first).',
      unit: '{attempt}',
    });
    subscription.add(
      batch(meter, [calls, attempts, retried], (result) => {
        for (const policy of retries.list()) {
          const { name } = policy;
          const metrics = policy.metrics();
          for (const [outcome, key] of RETRY_OUTCOMES) result.observe(calls, metrics.calls[key], { name, outcome });
          result.observe(attempts, metrics.attempts, { name });
          result.observe(retried, metrics.retries, { name });
        }
      }),
    );
  }
  if (bulkheads) {
    const active = meter.createObservableGauge(`${prefix}bulkhead_active_calls`, { description: 'Calls running in a bulkhead now.', unit: '{call}' });
    const queued = meter.createObservableGauge(`${prefix}bulkhead_queued_calls`, { description: 'Calls waiting for a bulkhead slot now.', unit: '{call}' });
    const limit = meter.createObservableGauge(`${prefix}bulkhead_max_concurrent_calls`, { description: 'Calls a bulkhead lets run at once.', unit: '{call}' });
    const calls = meter.createObservableCounter(`${prefix}bulkhead_calls`, {
      description: 'Calls through a bulkhead by outcome (admitted, rejected when full, queue_timeout, cancelled by the caller).',
      unit: '{call}',
    });
    subscription.add(
      batch(meter, [active, queued, limit, calls], (result) => {
        for (const bulkhead of bulkheads.list()) {
          const { name } = bulkhead;
          const metrics = bulkhead.metrics();
          result.observe(active, metrics.active, { name });
          result.observe(queued, metrics.queued, { name });
          result.observe(limit, metrics.maxConcurrent, { name });
          for (const [outcome, key] of BULKHEAD_OUTCOMES) result.observe(calls, metrics.calls[key], { name, outcome });
        }
      }),
    );
  }
  return subscription;
}

function batch(meter: Meter, observables: Observable[], callback: (result: BatchResult) => void): Subscription {
  meter.addBatchObservableCallback(callback, observables);
  return new Subscription(() => meter.removeBatchObservableCallback(callback, observables));
}

import { Counter, Gauge, type Registry } from 'prom-client';
import type { BulkheadMetrics } from '../bulkhead/bulkhead.events.js';
import type { BulkheadMetricsSource, RetryMetricsSource } from './metrics.sources.js';
import { BULKHEAD_OUTCOMES, RETRY_OUTCOMES } from './policy.readings.js';

type BulkheadView = Pick<BulkheadMetrics, 'active' | 'queued' | 'maxConcurrent' | 'calls'>;

/**
 * Retry metrics, read from the policies at scrape time (nothing runs per call):
 * - `retry_calls_total{name,outcome}`: calls by how they ended (`success`, `success_after_retry`, and each give-up reason);
 * - `retry_attempts_total{name}`: attempts, first ones included; `retry_retries_total{name}`: attempts after the first.
 */
export function registerRetryMetrics(registry: Registry, prefix: string, source: RetryMetricsSource): void {
  const calls = new Counter({
    name: `${prefix}retry_calls_total`,
    help: 'Calls through a retry policy by how they ended (success, success_after_retry, or why retrying stopped).',
    labelNames: ['name', 'outcome'],
    registers: [registry],
    collect: () => {
      calls.reset();
      for (const policy of source.list()) {
        const counts = policy.metrics().calls;
        for (const [outcome, key] of RETRY_OUTCOMES) calls.inc({ name: policy.name, outcome }, counts[key]);
      }
    },
  });
  const attempts = new Counter({
    name: `${prefix}retry_attempts_total`,
    help: 'Attempts made through a retry policy, first attempts included.',
    labelNames: ['name'],
    registers: [registry],
    collect: () => {
      attempts.reset();
      for (const policy of source.list()) attempts.inc({ name: policy.name }, policy.metrics().attempts);
    },
  });
  const retries = new Counter({
    name: `${prefix}retry_retries_total`,
    help: 'Retries made through a retry policy (attempts after the first).',
    labelNames: ['name'],
    registers: [registry],
    collect: () => {
      retries.reset();
      for (const policy of source.list()) retries.inc({ name: policy.name }, policy.metrics().retries);
    },
  });
}

/**
 * Bulkhead metrics, read at scrape time:
 * - `bulkhead_active_calls{name}`, `bulkhead_queued_calls{name}`: slots and queue places in use now;
 * - `bulkhead_max_concurrent_calls{name}`: the limit;
 * - `bulkhead_calls_total{name,outcome}`: `admitted`, `rejected` (full), `queue_timeout`, `cancelled`.
 */
export function registerBulkheadMetrics(registry: Registry, prefix: string, source: BulkheadMetricsSource): void {
  const gauge = (name: string, help: string, read: (metrics: BulkheadView) => number): void => {
    const metric: Gauge<'name'> = new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['name'],
      registers: [registry],
      collect: () => {
        metric.reset();
        for (const bulkhead of source.list()) metric.set({ name: bulkhead.name }, read(bulkhead.metrics()));
      },
    });
  };
  gauge('bulkhead_active_calls', 'Calls running in a bulkhead now.', (m) => m.active);
  gauge('bulkhead_queued_calls', 'Calls waiting for a bulkhead slot now.', (m) => m.queued);
  gauge('bulkhead_max_concurrent_calls', 'Calls a bulkhead lets run at once.', (m) => m.maxConcurrent);
  const calls = new Counter({
    name: `${prefix}bulkhead_calls_total`,
    help: 'Calls through a bulkhead by outcome (admitted, rejected when full, queue_timeout, cancelled by the caller).',
    labelNames: ['name', 'outcome'],
    registers: [registry],
    collect: () => {
      calls.reset();
      for (const bulkhead of source.list()) {
        const counts = bulkhead.metrics().calls;
        for (const [outcome, key] of BULKHEAD_OUTCOMES) calls.inc({ name: bulkhead.name, outcome }, counts[key]);
      }
    },
  });
}

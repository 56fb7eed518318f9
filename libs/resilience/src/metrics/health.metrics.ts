import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { HealthEvent } from '../health/health.events.js';
import { HEAL_RESULTS, HEALTH_SCOPES as SCOPES, HEALTH_STATUSES as STATUSES } from './health.readings.js';
import type { HealthMetricsSource } from './metrics.sources.js';

/**
 * Health metrics, fed by health events (check latency, heal attempts) and read at scrape time (statuses):
 * - `health_component_status{component,type,status}`: 1 for the current status, 0 for the others;
 * - `health_status{scope,status}`: the same for the system and each probe group;
 * - `health_check_duration_seconds{component}` (histogram);
 * - `health_checks_total{component,status}`: checks run, by the status the check itself reported (before
 *   hysteresis and flap detection), so a check that keeps failing while the component stays HEALTHY shows;
 * - `health_heal_attempts_total{component,result}`: result = success | failure | timeout | skipped, each at 0
 *   from the start for a component that heals.
 */
export class HealthMetrics {
  private readonly checkDuration: Histogram<'component'>;
  private readonly healAttempts: Counter<'component' | 'result'>;
  private readonly checks: Counter<'component' | 'status'>;
  private readonly durations = new Map<string, Histogram.Internal<'component'>>();

  constructor(
    registry: Registry,
    prefix: string,
    private readonly source: HealthMetricsSource,
    buckets: number[],
  ) {
    const componentStatus = new Gauge({
      name: `${prefix}health_component_status`,
      help: 'Health component status: 1 for the current status, 0 for the others.',
      labelNames: ['component', 'type', 'status'],
      registers: [registry],
      collect: () => {
        componentStatus.reset();
        for (const { name, type, status } of source.components()) {
          for (const s of STATUSES) componentStatus.set({ component: name, type, status: s }, status === s ? 1 : 0);
        }
      },
    });
    if (source.status) {
      const readScope = source.status.bind(source);
      const scopeStatus = new Gauge({
        name: `${prefix}health_status`,
        help: 'Status of the system and of each probe group: 1 for the current status, 0 for the others.',
        labelNames: ['scope', 'status'],
        registers: [registry],
        collect: () => {
          for (const scope of SCOPES) {
            const current = readScope(scope);
            for (const s of STATUSES) scopeStatus.set({ scope, status: s }, current === s ? 1 : 0);
          }
        },
      });
    }
    this.checkDuration = new Histogram({
      name: `${prefix}health_check_duration_seconds`,
      help: 'Duration of health checks.',
      labelNames: ['component'],
      buckets,
      registers: [registry],
    });
    this.checks = new Counter({
      name: `${prefix}health_checks_total`,
      help: 'Health checks run, by the status the check reported (before hysteresis and flap detection).',
      labelNames: ['component', 'status'],
      registers: [registry],
    });
    const healAttempts = (this.healAttempts = new Counter({
      name: `${prefix}health_heal_attempts_total`,
      help: 'Heal attempts by result (skipped = refused: grace period, shutdown, dependency unhealthy).',
      labelNames: ['component', 'result'],
      registers: [registry],
      // Every result of every component that heals is present from the start (at 0), so increase() sees the first attempt.
      collect: () => {
        for (const { name, heal } of source.components()) {
          if (heal !== undefined) for (const result of HEAL_RESULTS) healAttempts.inc({ component: name, result }, 0);
        }
      },
    }));
  }

  /** Follows the source's events until the returned subscription is unsubscribed. */
  follow(): Subscription {
    return this.source.events$.subscribe((event) => this.record(event));
  }

  /** Records one event. */
  record(event: HealthEvent): void {
    switch (event.type) {
      case 'check_completed':
        this.durationOf(event.component).observe(event.durationMs / 1000);
        this.checks.inc({ component: event.component, status: event.status });
        break;
      case 'heal_attempt':
        this.healAttempts.inc({ component: event.component, result: event.result });
        break;
    }
  }

  private durationOf(component: string): Histogram.Internal<'component'> {
    let child = this.durations.get(component);
    if (child === undefined) this.durations.set(component, (child = this.checkDuration.labels(component)));
    return child;
  }
}

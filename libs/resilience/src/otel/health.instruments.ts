import type { Attributes, Counter, Histogram, Meter, Observable } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import type { Clock } from '../common/clock.js';
import type { HealthEvent } from '../health/health.events.js';
import { HEAL_RESULTS, HEAL_STATES, HEALTH_SCOPES, HEALTH_STATUSES } from '../metrics/health.readings.js';
import type { HealthMetricsSource } from '../metrics/metrics.sources.js';
import { StatusTime } from '../metrics/status-time.js';

/**
 * The health metrics of `MetricsModule` as OpenTelemetry instruments (same names without the Prometheus suffixes,
 * same attributes): statuses, heal state, time in each status (`health_component_status_seconds`, unit `s`) and
 * heal attempts (every result of a component that heals present from the start, at 0) read in one batch callback
 * per collection; check durations (`health_check_duration`, unit `s`), checks by reported status
 * (`health_checks`) and scope transitions recorded from the events.
 */
export class HealthInstruments {
  private readonly checkDuration: Histogram;
  private readonly transitions: Counter;
  private readonly checks: Counter;
  /** Heal attempts so far, by component and result. */
  private readonly attempts = new Map<string, Map<string, number>>();
  private readonly time: StatusTime;

  constructor(
    private readonly meter: Meter,
    private readonly prefix: string,
    private readonly source: HealthMetricsSource,
    clock: Clock,
    checkDurationBuckets: number[],
  ) {
    this.time = new StatusTime(source, clock);
    this.checkDuration = meter.createHistogram(`${prefix}health_check_duration`, {
      description: 'Duration of health checks.',
      unit: 's',
      advice: { explicitBucketBoundaries: checkDurationBuckets },
    });
    this.checks = meter.createCounter(`${prefix}health_checks`, {
      description: 'Health checks run, by the status the check reported (before hysteresis and flap detection).',
      unit: '{check}',
    });
    this.transitions = meter.createCounter(`${prefix}health_status_transitions`, {
      description: 'Status changes of the system and of each probe group (scope).',
      unit: '{transition}',
    });
  }

  /** Reports until the returned subscription is unsubscribed (which also removes the batch callback). */
  start(): Subscription {
    const { meter, prefix, source, time } = this;
    const componentStatus = meter.createObservableGauge(`${prefix}health_component_status`, {
      description: 'Health component status: 1 for the current status, 0 for the others.',
    });
    const statusTime = meter.createObservableCounter(`${prefix}health_component_status_seconds`, {
      description: 'Time a health component has spent in each status, the current one up to now.',
      unit: 's',
    });
    const healState = meter.createObservableGauge(`${prefix}health_component_heal_state`, {
      description: 'Heal state of a health component that heals: 1 for the current state (GAVE_UP: healing stopped), 0 for the others.',
    });
    const healAttempts = meter.createObservableCounter(`${prefix}health_heal_attempts`, {
      description: 'Heal attempts by result (skipped = refused: grace period, shutdown, dependency unhealthy).',
      unit: '{attempt}',
    });
    const readScope = source.status?.bind(source);
    const scopeStatus =
      readScope &&
      meter.createObservableGauge(`${prefix}health_status`, {
        description: 'Status of the system and of each probe group: 1 for the current status, 0 for the others.',
      });
    const observables: Observable[] = [componentStatus, statusTime, healState, healAttempts, ...(scopeStatus ? [scopeStatus] : [])];
    const callback = (result: { observe(metric: Observable, value: number, attributes?: Attributes): void }) => {
      for (const { name: component, type, status, heal } of source.components()) {
        for (const s of HEALTH_STATUSES) result.observe(componentStatus, status === s ? 1 : 0, { component, type, status: s });
        if (heal !== undefined) {
          for (const state of HEAL_STATES) result.observe(healState, heal.state === state ? 1 : 0, { component, state });
          const counts = this.attempts.get(component);
          for (const r of HEAL_RESULTS) result.observe(healAttempts, counts?.get(r) ?? 0, { component, result: r });
        }
      }
      for (const { component, status, seconds } of time.read()) result.observe(statusTime, seconds, { component, status });
      if (scopeStatus && readScope) {
        for (const scope of HEALTH_SCOPES) {
          const current = readScope(scope);
          for (const s of HEALTH_STATUSES) result.observe(scopeStatus, current === s ? 1 : 0, { scope, status: s });
        }
      }
    };
    meter.addBatchObservableCallback(callback, observables);
    const subscription = new Subscription(() => meter.removeBatchObservableCallback(callback, observables));
    time.seed();
    subscription.add(source.events$.subscribe((event) => this.record(event)));
    return subscription;
  }

  private record(event: HealthEvent): void {
    this.time.record(event);
    switch (event.type) {
      case 'check_completed':
        this.checkDuration.record(event.durationMs / 1000, { component: event.component });
        this.checks.add(1, { component: event.component, status: event.status });
        break;
      case 'heal_attempt': {
        let counts = this.attempts.get(event.component);
        if (counts === undefined) this.attempts.set(event.component, (counts = new Map()));
        counts.set(event.result, (counts.get(event.result) ?? 0) + 1);
        break;
      }
      case 'component_unregistered':
        this.attempts.delete(event.component);
        break;
      case 'aggregate_change':
        this.transitions.add(1, { scope: event.scope, from: event.from, to: event.to });
        break;
    }
  }
}

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { Clock } from '../common/clock.js';
import { HEAL_STATES } from './health.readings.js';
import type { HealthMetricsSource } from './metrics.sources.js';
import { StatusTime } from './status-time.js';

/**
 * Health metrics about time and state, read at scrape time or fed by events (nothing runs per check):
 * - `health_component_status_seconds_total{component,status}`: time spent in each status, the current one up
 *   to the scrape (a status the component has never been in has no series);
 * - `health_component_heal_state{component,state}`: 1 for the heal state (`GAVE_UP` …), 0 for the others;
 *   components without a heal have none;
 * - `health_status_transitions_total{scope,from,to}`: status changes of the system and each probe group
 *   (readiness flapping shows here).
 */
export class HealthStateMetrics {
  private readonly time: StatusTime;
  private readonly transitions: Counter<'scope' | 'from' | 'to'>;

  constructor(
    registry: Registry,
    prefix: string,
    private readonly source: HealthMetricsSource,
    clock: Clock,
  ) {
    const time = (this.time = new StatusTime(source, clock));
    const seconds = new Counter({
      name: `${prefix}health_component_status_seconds_total`,
      help: 'Time a health component has spent in each status, the current one up to now.',
      labelNames: ['component', 'status'],
      registers: [registry],
      collect: () => {
        seconds.reset();
        for (const { component, status, seconds: value } of time.read()) seconds.inc({ component, status }, value);
      },
    });
    const healState = new Gauge({
      name: `${prefix}health_component_heal_state`,
      help: 'Heal state of a health component that heals: 1 for the current state (GAVE_UP: healing stopped), 0 for the others.',
      labelNames: ['component', 'state'],
      registers: [registry],
      collect: () => {
        healState.reset();
        for (const { name, heal } of source.components()) {
          if (heal === undefined) continue;
          for (const state of HEAL_STATES) healState.set({ component: name, state }, heal.state === state ? 1 : 0);
        }
      },
    });
    this.transitions = new Counter({
      name: `${prefix}health_status_transitions_total`,
      help: 'Status changes of the system and of each probe group (scope).',
      labelNames: ['scope', 'from', 'to'],
      registers: [registry],
    });
  }

  /** Follows the source's events until the returned subscription is unsubscribed. */
  follow(): Subscription {
    this.time.seed();
    return this.source.events$.subscribe((event) => {
      this.time.record(event);
      if (event.type === 'aggregate_change') this.transitions.inc({ scope: event.scope, from: event.from, to: event.to });
    });
  }
}

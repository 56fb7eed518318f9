import { Counter, Gauge, type Registry } from 'prom-client';
import type { Subscription } from 'rxjs';
import type { Clock } from '../common/clock.js';
import type { HealthEvent } from '../health/health.events.js';
import { HealState } from '../health/health.snapshot.js';
import type { HealthMetricsSource } from './metrics.sources.js';

const HEAL_STATES = Object.values(HealState);

/**
 * Where each component's time went, status by status: the periods that ended (from `status_change` events)
 * plus the one running, read at scrape time. @internal shared with the OpenTelemetry bridge.
 */
export class StatusTime {
  /** Per component: seconds spent in each status, for the periods that ended. */
  private readonly ended = new Map<string, Map<string, number>>();
  /** Per component: when its current status began (clock ms). */
  private readonly started = new Map<string, number>();

  constructor(
    private readonly source: HealthMetricsSource,
    private readonly clock: Clock,
  ) {}

  /** Takes the components registered so far as starting at their `since` (or now, without one). */
  seed(): void {
    const now = this.clock.now();
    for (const component of this.source.components()) {
      if (!this.started.has(component.name)) this.started.set(component.name, component.since ?? now);
    }
  }

  record(event: HealthEvent): void {
    switch (event.type) {
      case 'component_registered':
        this.ended.delete(event.component);
        this.started.set(event.component, event.at);
        break;
      case 'status_change': {
        const began = this.started.get(event.component) ?? event.at;
        let byStatus = this.ended.get(event.component);
        if (byStatus === undefined) this.ended.set(event.component, (byStatus = new Map()));
        byStatus.set(event.from, (byStatus.get(event.from) ?? 0) + Math.max(0, event.at - began) / 1000);
        this.started.set(event.component, event.at);
        break;
      }
      case 'component_unregistered':
        this.ended.delete(event.component);
        this.started.delete(event.component);
        break;
    }
  }

  /** Seconds each component has spent in each status it has been in, the current one up to now. */
  *read(): Iterable<{ component: string; status: string; seconds: number }> {
    const now = this.clock.now();
    for (const { name, status } of this.source.components()) {
      const byStatus = this.ended.get(name);
      const began = this.started.get(name) ?? now;
      const current = (byStatus?.get(status) ?? 0) + Math.max(0, now - began) / 1000;
      yield { component: name, status, seconds: current };
      for (const [other, seconds] of byStatus ?? []) if (other !== status) yield { component: name, status: other, seconds };
    }
  }
}

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

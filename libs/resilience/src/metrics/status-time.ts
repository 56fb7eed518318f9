import type { Clock } from '../common/clock.js';
import type { HealthEvent } from '../health/health.events.js';
import type { HealthMetricsSource } from './metrics.sources.js';

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

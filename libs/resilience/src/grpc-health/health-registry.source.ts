import { Observable } from 'rxjs';
import type { ComponentSnapshot } from '../health/health.snapshot.js';
import type { HealthEvent } from '../health/health.events.js';
import type { HealthScope, HealthStatus, ProbeGroup } from '../health/health-status.js';
import type { GrpcHealthSource, GrpcHealthUpdate } from './grpc-health.source.js';

/** The part of `HealthRegistry` the gRPC health service reads. */
export interface HealthRegistryView {
  components(): Iterable<ComponentSnapshot>;
  status(scope: HealthScope): HealthStatus;
  readonly events$: Observable<HealthEvent>;
}

/** Probe groups published as gRPC services of the same name (Kubernetes `grpc.service`). */
const PROBE_SERVICES: readonly ProbeGroup[] = ['liveness', 'readiness', 'startup'];
const RESERVED = new Set<string>(['', ...PROBE_SERVICES]);

/**
 * Publishes the health registry: `""` = system, `liveness` / `readiness` / `startup` = probe groups,
 * and (with `components`) each component under its name. A component named like a reserved
 * service is not published under that name; the aggregate wins.
 */
export function healthRegistrySource(
  registry: HealthRegistryView,
  options: { components: boolean },
): GrpcHealthSource {
  const publishes = (component: string) => options.components && !RESERVED.has(component);
  const aggregates = (): GrpcHealthUpdate[] => [
    { service: '', status: registry.status('system') },
    ...PROBE_SERVICES.map((group) => ({ service: group, status: registry.status(group) })),
  ];

  return {
    current() {
      const entries = aggregates().map(({ service, status }) => [service, status!] as const);
      if (!options.components) return entries;
      for (const component of registry.components()) {
        if (publishes(component.name)) entries.push([component.name, component.status] as const);
      }
      return entries;
    },
    updates$: new Observable<GrpcHealthUpdate>((subscriber) =>
      registry.events$.subscribe((event) => {
        switch (event.type) {
          case 'aggregate_change':
            subscriber.next({ service: event.scope === 'system' ? '' : event.scope, status: event.to });
            break;
          case 'status_change':
            if (publishes(event.component)) subscriber.next({ service: event.component, status: event.to });
            break;
          case 'component_registered':
            if (publishes(event.component)) subscriber.next({ service: event.component, status: event.status });
            break;
          case 'component_unregistered':
            if (publishes(event.component)) subscriber.next({ service: event.component, status: undefined });
            break;
          case 'shutdown':
            // Re-read the aggregates: draining fails readiness while liveness keeps serving.
            for (const update of aggregates()) subscriber.next(update);
            break;
        }
      }),
    ),
  };
}

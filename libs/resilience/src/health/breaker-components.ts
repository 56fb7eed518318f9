import { Logger } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import type { CircuitBreakerMetrics, StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { COMPONENT_DEFAULTS, type ResolvedComponent, type ResolvedHealthOptions } from './health-options.validation.js';
import { HealthStatus } from './health-status.js';

/** The part of a circuit breaker the health module reads. */
export interface BreakerView {
  readonly name: string;
  readonly state: CircuitState;
  metrics(): CircuitBreakerMetrics;
}

/** The part of `BreakerRegistry` the health module reads. */
export interface BreakerSource {
  list(): readonly BreakerView[];
  /** Every breaker: the existing ones on subscription, then each new one. */
  readonly added$: Observable<BreakerView>;
  /** Every breaker's state changes, merged (no per-call events: following them costs nothing per call). */
  readonly stateChanges$: Observable<StateChangeEvent>;
}

/** What `attachBreakers` needs from the registry. */
export interface BreakerComponentHost {
  add(component: ResolvedComponent, readDetails: () => Record<string, unknown>, status: HealthStatus): void;
  setStatus(name: string, to: HealthStatus, reason: string): void;
}

/**
 * CLOSED (and the operator modes DISABLED / METRICS_ONLY, which never reject) → HEALTHY;
 * OPEN, HALF_OPEN and FORCED_OPEN → DEGRADED: an open breaker means a dependency is failing and
 * calls get a fallback, not that this instance is broken.
 */
export function breakerHealth(state: CircuitState): HealthStatus {
  switch (state) {
    case CircuitState.OPEN:
    case CircuitState.HALF_OPEN:
    case CircuitState.FORCED_OPEN:
      return HealthStatus.DEGRADED;
    default:
      return HealthStatus.HEALTHY;
  }
}

/**
 * Adds every breaker as a component (type `breaker`, non-critical by default) and keeps its status in
 * step with the breaker's `state_change` events, never by polling. The breakers that exist now are
 * added synchronously, so a name clash fails bootstrap; later ones are added as they are created.
 */
export function attachBreakers(
  source: BreakerSource,
  options: ResolvedHealthOptions['breakers'],
  host: BreakerComponentHost,
): Subscription {
  const logger = new Logger('HealthRegistry');
  const componentName = (breaker: string): string => options.namePrefix + breaker;
  const attached = new Set<string>();
  const add = (breaker: BreakerView): void => {
    // added$ replays the breakers that list() already gave.
    if (attached.has(breaker.name)) return;
    attached.add(breaker.name);
    const name = componentName(breaker.name);
    host.add(breakerComponent(name, options), () => ({ ...breaker.metrics() }), breakerHealth(breaker.state));
  };
  for (const breaker of source.list()) add(breaker);

  const subscription = source.added$.subscribe((breaker) => {
    try {
      add(breaker);
    } catch (error) {
      // Thrown here it would escape as an unhandled error: report it instead.
      logger.error(`Cannot add breaker "${breaker.name}" as a health component: ${(error as Error).message}`);
    }
  });
  subscription.add(
    source.stateChanges$.subscribe((event) => {
      host.setStatus(componentName(event.breaker), breakerHealth(event.to), `breaker ${event.from} → ${event.to}: ${event.reason}`);
    }),
  );
  return subscription;
}

function breakerComponent(name: string, options: ResolvedHealthOptions['breakers']): ResolvedComponent {
  return {
    ...COMPONENT_DEFAULTS,
    name,
    type: 'breaker',
    critical: options.critical,
    probes: options.probes,
    allowInLiveness: true,
    dependsOn: [],
    guards: [],
    // Event-driven: no check, so no schedule and no staleness.
    maxResultAgeMs: 0,
    onError: HealthStatus.UNHEALTHY,
  };
}

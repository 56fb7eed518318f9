import { Observable, Subject } from 'rxjs';
import type {
  BreakerMetricsSource,
  CircuitBreakerEvent,
  CircuitState,
  HealthEvent,
  HealthMetricsSource,
} from '@engined/resilience';
type Status = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'UNKNOWN';

/** Breakers the test moves by hand, emitting the events a real breaker would. */
export class FakeBreakers implements BreakerMetricsSource {
  readonly states = new Map<string, CircuitState>();
  readonly events$ = new Subject<CircuitBreakerEvent>();
  readonly added = new Subject<{ name: string }>();
  /** Like `BreakerRegistry.added$`: the breakers so far, then each new one. */
  readonly added$ = new Observable<{ name: string }>((subscriber) => {
    for (const name of this.states.keys()) subscriber.next({ name });
    return this.added.subscribe(subscriber);
  });

  add(name: string, state: CircuitState): void {
    this.states.set(name, state);
    this.added.next({ name });
  }

  list() {
    return Array.from(this.states, ([name, state]) => ({ name, state }));
  }

  transition(name: string, to: CircuitState): void {
    const from = this.states.get(name)!;
    this.states.set(name, to);
    this.events$.next({ type: 'state_change', breaker: name, from, to, reason: 'test', at: 0 });
  }

  emit(event: CircuitBreakerEvent): void {
    this.events$.next(event);
  }
}

/** Health components and scopes the test sets by hand. */
export class FakeHealth implements HealthMetricsSource {
  readonly componentsByName = new Map<string, { name: string; type: string; status: Status }>();
  readonly scopes: Record<string, Status> = { system: 'HEALTHY', liveness: 'HEALTHY', readiness: 'HEALTHY', startup: 'HEALTHY' };
  readonly events$ = new Subject<HealthEvent>();

  components() {
    return this.componentsByName.values();
  }

  status(scope: string): Status {
    return this.scopes[scope];
  }

  set(name: string, type: string, status: Status): void {
    this.componentsByName.set(name, { name, type, status });
  }

  emit(event: HealthEvent): void {
    this.events$.next(event);
  }
}

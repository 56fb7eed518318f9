import { Subject } from 'rxjs';
import type { CallCounts, CircuitState, StateChangeEvent } from '@engined/resilience';
import type { HealthEvent } from '@engined/resilience/health';
import type { BreakerMetricsSource, HealthMetricsSource } from '@engined/resilience/metrics';
type Status = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'UNKNOWN';

/** Breakers the test moves by hand: a state and call totals each, and the state changes a real breaker emits. */
export class FakeBreakers implements BreakerMetricsSource {
  readonly breakers = new Map<string, { state: CircuitState; calls: CallCounts }>();
  readonly stateChanges$ = new Subject<StateChangeEvent>();

  add(name: string, state: CircuitState): void {
    this.breakers.set(name, { state, calls: { successful: 0, failed: 0, ignored: 0, notPermitted: 0, timedOut: 0, slow: 0 } });
  }

  list() {
    return Array.from(this.breakers, ([name, breaker]) => ({ name, state: breaker.state, metrics: () => ({ calls: { ...breaker.calls } }) }));
  }

  /** Adds to a breaker's call totals, as its calls would. */
  count(name: string, calls: Partial<CallCounts>): void {
    const totals = this.breakers.get(name)!.calls;
    for (const [key, n] of Object.entries(calls) as [keyof CallCounts, number][]) totals[key] += n;
  }

  transition(name: string, to: CircuitState): void {
    const breaker = this.breakers.get(name)!;
    const from = breaker.state;
    breaker.state = to;
    this.stateChanges$.next({ type: 'state_change', breaker: name, from, to, reason: 'test', at: 0 });
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

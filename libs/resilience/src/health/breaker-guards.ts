import { type Observable, Subscription } from 'rxjs';
import type { FailureEvent, StateChangeEvent } from '../breaker/circuit-breaker.events.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import type { BreakerView } from './breaker-components.js';
import type { ComponentEntry, GuardState } from './component-entry.js';
import type { ResolvedComponent } from './health-options.validation.js';

/** The part of a circuit breaker that a component's `guards` link reads and drives. */
export interface GuardView extends BreakerView {
  /** Its state changes (no per-call events). */
  readonly stateChanges$: Observable<StateChangeEvent>;
  /** The failures it counts (no per-call cost on success). */
  readonly failures$: Observable<FailureEvent>;
  /** Ends an OPEN period now; any other state is left alone. */
  halfOpen(reason: string): boolean;
}

/** Where guards are found by name: `BreakerRegistry`. */
export interface GuardSource {
  get(name: string): GuardView | undefined;
}

/** What the links ask of the registry. */
export interface GuardHost {
  /** A guard tripped (→ OPEN): evidence that the dependency fails. */
  guardOpened(entry: ComponentEntry, breaker: string, event: StateChangeEvent): void;
  /** A guard counted a failed call. */
  guardFailed(entry: ComponentEntry, breaker: string, event: FailureEvent): void;
  /** `entry.blockedBy` changed (from `from`). */
  blockedChanged(entry: ComponentEntry, from: string | undefined): void;
}

/**
 * Links components to the circuit breakers named in their `guards`, both ways: a passing check
 * half-opens the guards that are OPEN, a guard that trips or counts a failure feeds the component, and a
 * guard that rejects every call (OPEN, FORCED_OPEN) marks the component `blockedBy` it. Follows the
 * breakers' `stateChanges$` and `failures$` only, so linking costs nothing per successful call.
 */
export class GuardLinks {
  constructor(
    private readonly source: GuardSource | undefined,
    private readonly host: GuardHost,
  ) {}

  /**
   * Resolves the component's guards and starts following them; sets `blockedBy` from their current states
   * (the caller rebuilds the snapshot). An unknown name throws `InvalidOptionError` before anything is followed.
   */
  link(entry: ComponentEntry): void {
    const { def } = entry;
    if (def.guards.length === 0 || entry.guards !== undefined) return;
    const breakers = def.guards.map((name) => this.resolve(def, name));
    const guards: GuardState = {
      breakers,
      openedAfterSeq: breakers.map(() => entry.seq),
      successes: successesOf(breakers),
      subscription: new Subscription(),
    };
    entry.guards = guards;
    breakers.forEach((breaker, index) => {
      guards.subscription.add(breaker.stateChanges$.subscribe((event) => this.onStateChange(entry, index, event)));
      guards.subscription.add(breaker.failures$.subscribe((event) => this.host.guardFailed(entry, breaker.name, event)));
    });
    entry.blockedBy = blockingGuard(breakers);
  }

  /** Stops following the component's guards. */
  unlink(entry: ComponentEntry): void {
    entry.guards?.subscription.unsubscribe();
    entry.guards = undefined;
  }

  /**
   * Whether a call through one of the component's guards succeeded since the last look (each look, at
   * every result, moves the mark): a success ends a run of failed results.
   */
  succeededSince(entry: ComponentEntry): boolean {
    const guards = entry.guards;
    if (guards === undefined) return false;
    const successes = successesOf(guards.breakers);
    const changed = successes !== guards.successes;
    guards.successes = successes;
    return changed;
  }

  /**
   * The component's check number `seq` passed: the dependency answers, so every guard OPEN since before
   * that check started goes HALF_OPEN now and its next call probes. A guard that opened while the check
   * ran is left to the check that its trip scheduled.
   */
  checkPassed(entry: ComponentEntry, seq: number): void {
    const guards = entry.guards;
    if (guards === undefined) return;
    guards.breakers.forEach((breaker, index) => {
      // Reading the state applies an elapsed open duration first.
      if (breaker.state === CircuitState.OPEN && seq > guards.openedAfterSeq[index]!) {
        breaker.halfOpen(`health check of "${entry.def.name}" passed`);
      }
    });
  }

  /**
   * Whether a passing result of check number `seq` is older than a guard's trip (the check started before
   * it): the trip is the newer evidence, so such a pass must not lift the failure it caused.
   */
  outdatedBy(entry: ComponentEntry, seq: number): boolean {
    const guards = entry.guards;
    return guards !== undefined && guards.openedAfterSeq.some((after) => seq <= after);
  }

  private onStateChange(entry: ComponentEntry, index: number, event: StateChangeEvent): void {
    const guards = entry.guards;
    if (guards === undefined) return;
    if (event.to === CircuitState.OPEN) {
      guards.openedAfterSeq[index] = entry.seq;
      this.host.guardOpened(entry, event.breaker, event);
    }
    // Reading a state may apply an elapsed open duration, whose event re-enters here first.
    const next = blockingGuard(guards.breakers);
    const from = entry.blockedBy;
    if (next === from) return;
    entry.blockedBy = next;
    this.host.blockedChanged(entry, from);
  }

  private resolve(def: ResolvedComponent, name: string): GuardView {
    const owner = `Health component "${def.name}"`;
    if (this.source === undefined) {
      throw new InvalidOptionError(owner, 'guards', def.guards, 'must name circuit breakers of BreakerRegistry, but there is none (import ResilienceModule)');
    }
    const breaker = this.source.get(name);
    if (breaker === undefined) {
      throw new InvalidOptionError(owner, 'guards', def.guards, `must name circuit breakers of BreakerRegistry, but "${name}" is not registered`);
    }
    return breaker;
  }
}

/** The first guard that rejects every call (OPEN, FORCED_OPEN), by name. */
function blockingGuard(breakers: readonly GuardView[]): string | undefined {
  for (const breaker of breakers) {
    const state = breaker.state;
    if (state === CircuitState.OPEN || state === CircuitState.FORCED_OPEN) return breaker.name;
  }
  return undefined;
}

function successesOf(breakers: readonly GuardView[]): number {
  let total = 0;
  for (const breaker of breakers) total += breaker.metrics().calls.successful;
  return total;
}

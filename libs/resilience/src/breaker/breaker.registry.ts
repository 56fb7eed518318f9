import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject, mergeMap, takeUntil } from 'rxjs';
import { InvalidOptionError, isInvalidOptionError } from '../common/invalid-option.error.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResolvedResilienceOptions } from '../resilience-options.interface.js';
import { describeOption, findOptionDifference, mergeBreakerOptions, type PolicyOptions } from './breaker-options.resolver.js';
import type { CircuitBreakerEvent, StateChangeEvent } from './circuit-breaker.events.js';
import type { CircuitBreakerOptions, FallbackFn } from './circuit-breaker.options.js';
import { CircuitBreakerPolicy } from './circuit-breaker.policy.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.snapshot.js';
import { UnknownCircuitBreakerError } from './errors/unknown-circuit-breaker.error.js';

/** Options of a breaker created through `BreakerRegistry.getOrCreate()`. */
export interface RegistryBreakerOptions extends Omit<CircuitBreakerOptions, 'name' | 'clock' | 'fallback'> {
  /** A named profile of the `ResilienceModule` options, merged over the defaults and under these options. */
  profile?: string;
  /** Fallback function (a method name only makes sense on a decorated method). */
  fallback?: FallbackFn;
}

interface Entry {
  readonly policy: CircuitBreakerPolicy;
  /** Options the breaker was created with (without name and clock). */
  readonly options: PolicyOptions;
  /** False when created without options of its own (defaults only): joining it never conflicts. */
  readonly declared: boolean;
  /** Who created it, for conflict messages, e.g. `@CircuitBreaker() on OrdersService.find`. */
  readonly origin: string;
}

/**
 * Every circuit breaker of the application, by name: the ones `@CircuitBreaker()` methods use (created at
 * bootstrap) and the ones created with `getOrCreate()`. Operators use it for manual control; the health and
 * metrics parts subscribe to `added$` / `events$` to follow every breaker, including ones added later.
 * Disposes every breaker at application shutdown.
 */
@Injectable()
export class BreakerRegistry implements OnApplicationShutdown {
  private readonly entries = new Map<string, Entry>();
  private readonly added = new Subject<CircuitBreakerPolicy>();
  private readonly shutdown = new Subject<void>();
  private closed = false;

  /**
   * Every breaker, once: on subscription the breakers registered so far (in creation order), then each breaker
   * as it is created. Completes at application shutdown. Lets a consumer (e.g. the health module) follow all
   * breakers without racing `list()` against later creations.
   */
  readonly added$: Observable<CircuitBreakerPolicy> = new Observable<CircuitBreakerPolicy>((subscriber) => {
    // Map iteration also visits entries added while it runs, so a breaker created by a subscriber is not missed.
    for (const entry of this.entries.values()) {
      if (subscriber.closed) return;
      subscriber.next(entry.policy);
    }
    return this.added.subscribe(subscriber);
  });

  /** The events of every breaker, merged; includes breakers created after subscription. Completes at shutdown. */
  readonly events$: Observable<CircuitBreakerEvent> = this.added$.pipe(
    mergeMap((policy) => policy.events$),
    takeUntil(this.shutdown),
  );

  /**
   * The state changes of every breaker, merged (includes breakers created after subscription); completes at
   * shutdown. Costs nothing per call, unlike `events$`: follow breakers through this and read call counts
   * from each breaker's `metrics()`, as the health and metrics modules do.
   */
  readonly stateChanges$: Observable<StateChangeEvent> = this.added$.pipe(
    mergeMap((policy) => policy.stateChanges$),
    takeUntil(this.shutdown),
  );

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResolvedResilienceOptions) {}

  /** Every breaker, in creation order. */
  list(): CircuitBreakerPolicy[] {
    return Array.from(this.entries.values(), (entry) => entry.policy);
  }

  /** The breaker with this name, if any. */
  get(name: string): CircuitBreakerPolicy | undefined {
    return this.entries.get(name)?.policy;
  }

  /**
   * The options the breaker `name` was created with (module defaults and profile merged in, without name and
   * clock), or undefined for an unknown name. For describing a breaker (the admin API's options summary).
   */
  optionsOf(name: string): Readonly<Omit<CircuitBreakerOptions, 'name' | 'clock'>> | undefined {
    return this.entries.get(name)?.options;
  }

  /**
   * The breaker with this name, created on first use with the module defaults, the profile and `options`
   * (validated: bad options throw `InvalidOptionError`). Asking again with no options returns the same breaker;
   * asking with options different from the ones it was created with throws, naming the differing option.
   */
  getOrCreate(name: string, options?: RegistryBreakerOptions): CircuitBreakerPolicy {
    const origin = `BreakerRegistry.getOrCreate(${JSON.stringify(name)})`;
    const { profile, ...own } = options ?? {};
    const merged = mergeBreakerOptions(this.options, profile, own, origin);
    // A method-name fallback from the defaults or a profile applies to decorated methods only.
    if (typeof merged.fallback === 'string') delete merged.fallback;
    return this.define(name, merged, options !== undefined && Object.keys(options).length > 0, origin);
  }

  /**
   * Returns the breaker `name`, creating it with `options` if needed; checks that every declaration of a
   * shared name agrees. @internal used by the explorer and `getOrCreate`.
   */
  define(name: string, options: PolicyOptions, declared: boolean, origin: string): CircuitBreakerPolicy {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new InvalidOptionError(origin, 'name', name, 'must be a non-empty string');
    }
    if (this.closed) throw new Error(`${origin}: the application is shut down; its breaker registry is closed`);
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      if (declared) this.assertSameOptions(name, existing, options, origin);
      return existing.policy;
    }
    const policy = this.create(name, options, origin);
    this.entries.set(name, { policy, options, declared, origin });
    this.added.next(policy);
    return policy;
  }

  /** Rejects every call until `reset` (state FORCED_OPEN); `reason` appears in the state-change event. */
  forceOpen(name: string, reason: string): void {
    this.require(name).forceOpen(reason);
  }

  /** Permits every call and still records outcomes, never tripping (state DISABLED). */
  disable(name: string, reason: string): void {
    this.require(name).disable(reason);
  }

  /** Records and emits like CLOSED, including would-trip signals, but never rejects (state METRICS_ONLY). */
  metricsOnly(name: string, reason: string): void {
    this.require(name).metricsOnly(reason);
  }

  /**
   * Ends an OPEN breaker's open period now: it goes HALF_OPEN and its next call probes. Any other state is
   * left alone (operator states included); returns whether it moved.
   */
  halfOpen(name: string, reason: string): boolean {
    return this.require(name).halfOpen(reason);
  }

  /** Back to CLOSED with an empty window, from any state. */
  reset(name: string, reason?: string): void {
    this.require(name).reset(reason);
  }

  /**
   * Every breaker's state, in creation order: what `ResilienceModule.forRoot({ initialStates })` restores after
   * a restart, so `JSON.stringify(registry)` is the whole save. Take it before the registry closes at shutdown
   * (e.g. in a `beforeApplicationShutdown` hook).
   */
  toJSON(): CircuitBreakerSnapshot[] {
    return this.list().map((policy) => policy.toJSON());
  }

  /** Disposes every breaker (no timer survives `app.close()`) and completes `added$` / `events$`. */
  onApplicationShutdown(): void {
    this.closed = true;
    const policies = this.list();
    this.entries.clear();
    for (const policy of policies) policy.dispose();
    this.shutdown.next();
    this.shutdown.complete();
    this.added.complete();
  }

  /** Builds the policy (which validates its options); a bad option's error also names the declaring site. */
  private create(name: string, options: PolicyOptions, origin: string): CircuitBreakerPolicy {
    try {
      const initialState = options.initialState ?? this.options.initialStates.get(name);
      return new CircuitBreakerPolicy({ ...options, name, clock: this.options.clock, initialState });
    } catch (error) {
      if (!isInvalidOptionError(error)) throw error;
      throw new InvalidOptionError(`${error.owner} (${origin})`, error.option, error.value, error.expected);
    }
  }

  private require(name: string): CircuitBreakerPolicy {
    const policy = this.entries.get(name)?.policy;
    if (policy === undefined) throw new UnknownCircuitBreakerError(name, [...this.entries.keys()]);
    return policy;
  }

  private assertSameOptions(name: string, existing: Entry, options: PolicyOptions, origin: string): void {
    if (!existing.declared) {
      throw new InvalidOptionError(
        `Circuit breaker ${JSON.stringify(name)} (${origin})`,
        'options',
        options,
        `cannot be declared here: the breaker was already created without options by ${existing.origin}`,
      );
    }
    const difference = findOptionDifference(existing.options, options);
    if (difference === undefined) return;
    throw new InvalidOptionError(
      `Circuit breaker ${JSON.stringify(name)} (${origin})`,
      difference.option,
      difference.b,
      `must equal the value declared by ${existing.origin}, which shares this breaker (${describeOption(difference.a)})`,
    );
  }
}

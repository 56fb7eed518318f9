import type { Clock } from './common/clock.js';
import type { CircuitBreakerOptions } from './breaker/circuit-breaker.options.js';
import type { CircuitBreakerSnapshot } from './breaker/circuit-breaker.snapshot.js';
import type { BulkheadOptions } from './bulkhead/bulkhead.options.js';
import type { RetryOptions } from './retry/retry.options.js';

/**
 * Breaker options shared by many breakers: the module `defaults` and each named profile.
 * `name` and `initialState` belong to one breaker, and the clock to the module, so they are left out.
 * A string `fallback` here names a method that each decorated provider must have.
 */
export type BreakerProfile = Omit<CircuitBreakerOptions, 'name' | 'initialState' | 'clock'>;

/** Retry options shared by many retry policies: `retry.defaults` and each of `retry.profiles`. */
export type RetryProfile = Omit<RetryOptions, 'name' | 'clock'>;

/** Bulkhead options shared by many bulkheads: `bulkhead.defaults` and each of `bulkhead.profiles`. */
export type BulkheadProfile = Omit<BulkheadOptions, 'name' | 'clock'>;

/**
 * Module-wide options of one policy kind, as breakers have them in `defaults` / `profiles`: `defaults` lie under
 * every policy of the kind, a named profile (merged over `defaults`) under the policies that pick it with
 * `profile`. Merging is shallow: a nested option (`backoff`, `budget`) given by a profile replaces the default's.
 */
export interface PolicyProfiles<P> {
  defaults?: P;
  profiles?: Record<string, P>;
}

/** {@link PolicyProfiles} after validation: each profile already merged over `defaults`. */
export interface ResolvedPolicyProfiles<P> {
  readonly defaults: Readonly<P>;
  readonly profiles: ReadonlyMap<string, Readonly<P>>;
}

/**
 * Options of `ResilienceModule.forRoot()` / `forRootAsync()`. Every field is optional:
 * a bare `imports: [ResilienceModule]` behaves like `forRoot({})`.
 */
export interface ResilienceModuleOptions {
  /** Merged under every breaker's own options (decorated or created through `BreakerRegistry.getOrCreate`). */
  defaults?: BreakerProfile;
  /**
   * Named option sets, picked with `@CircuitBreaker({ profile: 'name' })` or `getOrCreate(name, { profile })`.
   * A profile is merged over `defaults` and under the breaker's own options.
   */
  profiles?: Record<string, BreakerProfile>;
  /**
   * Defaults and named profiles of the retry policies (`@Retry({ profile })`, `RetryRegistry.getOrCreate(name,
   * { profile })`), e.g. `{ defaults: { maxAttempts: 3 }, profiles: { idempotent: { maxAttempts: 5 } } }`.
   */
  retry?: PolicyProfiles<RetryProfile>;
  /** Defaults and named profiles of the bulkheads (`@Bulkhead({ profile })`, `BulkheadRegistry.getOrCreate(name, { profile })`). */
  bulkhead?: PolicyProfiles<BulkheadProfile>;
  /** Time source of every breaker (and of the other library parts that inject `RESILIENCE_CLOCK`). Default `systemClock`. */
  clock?: Clock;
  /**
   * Breaker states saved by a previous run (`JSON.stringify(registry)`, or each breaker's `toJSON()`): each is
   * restored into the breaker of the same `name` when that breaker is created, decorated or through
   * `getOrCreate`, unless the breaker's own options give an `initialState`. Snapshots of breakers that no
   * longer exist are unused. Times are clock milliseconds, so restore with the clock that saved them (epoch ms
   * with `systemClock`).
   */
  initialStates?: readonly CircuitBreakerSnapshot[];
}

/** Module options after validation (`RESILIENCE_OPTIONS`): every field present, profiles already merged over defaults. */
export interface ResolvedResilienceOptions {
  readonly defaults: Readonly<BreakerProfile>;
  /** Each profile merged over `defaults`. */
  readonly profiles: ReadonlyMap<string, Readonly<BreakerProfile>>;
  readonly retry: ResolvedPolicyProfiles<RetryProfile>;
  readonly bulkhead: ResolvedPolicyProfiles<BulkheadProfile>;
  readonly clock: Clock;
  /** `initialStates` by breaker name (empty when none). */
  readonly initialStates: ReadonlyMap<string, CircuitBreakerSnapshot>;
}

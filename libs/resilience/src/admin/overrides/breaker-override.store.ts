import type { BreakerActionName } from '../admin.events.js';

/** An operator state that holds until an operator resets the breaker. */
export type BreakerOverrideMode = Exclude<BreakerActionName, 'reset'>;

/**
 * One operator action on a breaker, as a store records and publishes it. `force-open`, `disable` and
 * `metrics-only` replace the breaker's current override; `reset` removes it (and resets the breaker).
 */
export interface BreakerOverrideChange {
  readonly breaker: string;
  readonly action: BreakerActionName;
  readonly reason: string;
  /** Who: the admin token's label. */
  readonly actor: string;
  /** When, in ms since the epoch (the acting replica's clock). */
  readonly at: number;
  /** The replica that made the change: an id the admin module picks at each start (a store carries it as is). */
  readonly origin: string;
  /**
   * Assigned by the store; grows with every change it commits, in commit order. A replica ignores a change
   * older than the last one it applied to the same breaker, so late deliveries never undo newer actions.
   */
  readonly version: number;
}

/** A breaker's current override: the last change recorded for it, when that was not a reset. */
export interface BreakerOverride extends BreakerOverrideChange {
  readonly action: BreakerOverrideMode;
}

/** What a store tells the replica that follows it. */
export interface BreakerOverrideListener {
  /** A change committed by any replica, this one included, in commit order. */
  change(change: BreakerOverrideChange): void;
  /**
   * The feed of changes was lost (`connected: false`, with the error: changes may be missed until it is back)
   * or is back (`connected: true`; the replica then loads the current overrides again to resync).
   */
  connection(connected: boolean, error?: unknown): void;
}

/**
 * Where operator overrides of breakers are shared between the replicas of a service: a table of current
 * overrides plus a feed of changes. `ResilienceAdminModule` applies them to the local breakers (loaded at
 * start, then followed); only operator actions are shared, never the failure counts, which each replica
 * keeps for itself. The default, `InMemoryBreakerOverrideStore`, shares nothing beyond the process.
 */
export interface BreakerOverrideStore {
  /** Shown in health details and log lines, e.g. `postgresql`. */
  readonly description: string;
  /**
   * Records `change` durably and publishes it to every subscriber; resolves with the committed change (its
   * version assigned). Rejects when the store cannot record it: then nothing changed anywhere.
   */
  publish(change: Omit<BreakerOverrideChange, 'version'>): Promise<BreakerOverrideChange>;
  /** The current overrides (one per breaker at most). */
  load(): Promise<readonly BreakerOverride[]>;
  /**
   * Follows the store until the returned function is called (and its promise settles). The store keeps
   * reconnecting by itself after a loss, reporting each loss and each return through `connection`.
   */
  subscribe(listener: BreakerOverrideListener): () => void | Promise<void>;
}

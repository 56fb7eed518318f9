import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BreakerRegistry } from '../../breaker/breaker.registry.js';
import type { CircuitBreakerPolicy } from '../../breaker/circuit-breaker.policy.js';
import type { TimerHandle } from '../../common/clock.js';
import type { CheckResult } from '../../health/health-component.options.js';
import { HealthStatus } from '../../health/health-status.js';
import { HealthRegistry } from '../../health/health.registry.js';
import { ADMIN_OPTIONS } from '../admin.constants.js';
import type { ResolvedAdminOptions } from '../admin-options.interface.js';
import { AdminEventRecorder } from '../admin-event.recorder.js';
import type { BreakerOverride, BreakerOverrideChange, BreakerOverrideStore } from './breaker-override.store.js';
import { InMemoryBreakerOverrideStore } from './in-memory-override.store.js';

/** The health component that reports the shared store (registered only for a store given in the options). */
export const OVERRIDE_STORE_COMPONENT = 'breaker-overrides';
/** First and largest delay between two attempts to load the overrides after a failed load. */
const RELOAD_MIN_MS = 1_000;
const RELOAD_MAX_MS = 30_000;

/** Where this replica stands with the shared override store. */
export interface BreakerOverrideSyncStatus {
  /** The store's description, e.g. `postgresql`. */
  readonly store: string;
  /** The overrides are loaded and the feed of changes is up: this replica follows the cluster. */
  readonly inSync: boolean;
  /** Clock ms since when `inSync` has had its value. */
  readonly since: number;
  /** Why it is not in sync (the last error), when it is not. */
  readonly error?: string;
  /** The overrides this replica applies now, by breaker (the last known ones while not in sync). */
  readonly overrides: readonly BreakerOverride[];
}

/**
 * Keeps the local breakers in line with the shared `BreakerOverrideStore`: loads the current overrides at
 * bootstrap (before the application serves), follows the store's changes, applies an override to a breaker
 * created later, and resyncs (loads again) whenever the store's feed comes back. Only operator states travel;
 * each breaker's failure window stays local. While the store is unreachable the last known overrides stay
 * in force, and the `breaker-overrides` health component says so (DEGRADED, non-critical).
 *
 * Changes carry a version: a change older than the last one applied to the same breaker is ignored, so a
 * late delivery never undoes a newer action. Actions taken through this replica's `OperatorService` go
 * through `publish`, which records them in the store first (a failure means: applied nowhere).
 */
@Injectable()
export class BreakerOverrideSync implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ResilienceAdmin');
  private readonly store: BreakerOverrideStore;
  /** Who this replica is in the store's changes (a fresh id per start). */
  private readonly origin = randomUUID();
  /** The last change known per breaker (resets included, for their version). */
  private readonly known = new Map<string, BreakerOverrideChange>();
  /** Changes delivered while a load runs: replayed after it. */
  private buffered: BreakerOverrideChange[] | undefined;
  private inSync = false;
  private since: number;
  private error: string | undefined = 'not loaded yet';
  /** A resync was asked for while a load ran (the feed came back meanwhile): load again after it. */
  private resyncAgain = false;
  private reloadAttempts = 0;
  private reloadTimer: TimerHandle | undefined;
  private unsubscribe: (() => void | Promise<void>) | undefined;
  private added: Subscription | undefined;
  private stopped = false;

  constructor(
    @Inject(ADMIN_OPTIONS) private readonly options: ResolvedAdminOptions,
    @Inject(AdminEventRecorder) private readonly recorder: AdminEventRecorder,
    @Optional() @Inject(BreakerRegistry) private readonly breakers?: BreakerRegistry,
    @Optional() @Inject(HealthRegistry) private readonly health?: HealthRegistry,
  ) {
    this.store = options.overrideStore ?? new InMemoryBreakerOverrideStore();
    this.since = options.clock.now();
  }

  /** Where this replica stands with the store. */
  status(): BreakerOverrideSyncStatus {
    const overrides = [...this.known.values()].filter((change): change is BreakerOverride => change.action !== 'reset');
    return {
      store: this.store.description,
      inSync: this.inSync,
      since: this.since,
      ...(this.inSync ? {} : { error: this.error }),
      overrides,
    };
  }

  /**
   * Records `change` in the store, then applies it here (the store's own delivery of it is then ignored).
   * @throws whatever the store rejected with: then the change was applied nowhere.
   */
  async publish(change: Omit<BreakerOverrideChange, 'version' | 'origin'>): Promise<BreakerOverrideChange> {
    const committed = await this.store.publish({ ...change, origin: this.origin });
    this.apply(committed);
    return committed;
  }

  /** @internal */
  onModuleInit(): void {
    if (this.health && this.options.overrideStore !== undefined) {
      this.health.register({
        name: OVERRIDE_STORE_COMPONENT,
        type: 'custom',
        critical: false,
        probes: ['readiness'],
        check: () => this.check(),
      });
    }
  }

  /** @internal Loads the overrides before the application serves; a store that is down does not stop the start. */
  async onApplicationBootstrap(): Promise<void> {
    this.added = this.breakers?.added$.subscribe((policy) => this.onBreakerAdded(policy));
    this.unsubscribe = this.store.subscribe({
      change: (change) => this.onChange(change),
      connection: (connected, error) => this.onConnection(connected, error),
    });
    await this.resync();
  }

  /** @internal */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reloadTimer !== undefined) this.options.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
    this.added?.unsubscribe();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.();
  }

  private check(): CheckResult {
    const { store, inSync, since, error, overrides } = this.status();
    const details = { store, inSync, since: new Date(since).toISOString(), overrides: overrides.map(({ breaker, action }) => `${breaker}: ${action}`) };
    if (inSync) return { status: HealthStatus.HEALTHY, details };
    return {
      status: HealthStatus.DEGRADED,
      message: `breaker override store unreachable (${error}): keeping the ${overrides.length} last known override(s), resyncing on reconnect`,
      details: { ...details, error },
    };
  }

  private onChange(change: BreakerOverrideChange): void {
    if (this.buffered !== undefined) this.buffered.push(change);
    else this.apply(change);
  }

  private onConnection(connected: boolean, error: unknown): void {
    if (this.stopped) return;
    if (connected) {
      void this.resync();
      return;
    }
    const message = describe(error);
    if (this.inSync) {
      this.logger.warn(`breaker override store ${this.store.description} unreachable (${message}): keeping ${this.status().overrides.length} last known override(s)`);
    }
    this.setInSync(false, message);
  }

  /**
   * Loads the current overrides and makes the local breakers match: an override no longer in the store is
   * reset (it was cleared while this replica did not follow), unless a newer change arrived meanwhile.
   */
  private async resync(): Promise<void> {
    if (this.stopped) return;
    if (this.buffered !== undefined) {
      // That load may predate the feed: a change committed between its snapshot and the feed would be missed.
      this.resyncAgain = true;
      return;
    }
    this.resyncAgain = false;
    const before = new Map(this.known);
    this.buffered = [];
    let loaded: readonly BreakerOverride[];
    try {
      loaded = await this.store.load();
    } catch (error) {
      const buffered = this.buffered;
      this.buffered = undefined;
      for (const change of buffered) this.apply(change);
      this.setInSync(false, describe(error));
      this.logger.warn(`loading breaker overrides from ${this.store.description} failed (${describe(error)}); keeping the last known ones, retrying`);
      this.scheduleReload();
      return;
    }
    const buffered = this.buffered;
    this.buffered = undefined;
    if (this.stopped) return;
    const present = new Set(loaded.map((override) => override.breaker));
    for (const [breaker, change] of before) {
      if (change.action === 'reset' || present.has(breaker) || this.known.get(breaker) !== change) continue;
      this.apply({ ...change, action: 'reset', actor: 'resync', origin: 'resync', reason: 'override cleared in the store while this replica was not following it' }, true);
    }
    for (const override of loaded) this.apply(override);
    for (const change of buffered) this.apply(change);
    this.reloadAttempts = 0;
    this.setInSync(true, undefined);
    if (this.resyncAgain) await this.resync();
  }

  private scheduleReload(): void {
    if (this.stopped || this.reloadTimer !== undefined) return;
    const delay = Math.min(RELOAD_MAX_MS, RELOAD_MIN_MS * 2 ** this.reloadAttempts++);
    this.reloadTimer = this.options.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.resync();
    }, delay);
  }

  private setInSync(inSync: boolean, error: string | undefined): void {
    const changed = inSync !== this.inSync;
    this.error = error;
    if (!changed) return;
    this.inSync = inSync;
    this.since = this.options.clock.now();
    // The in-memory default is always in sync: nothing to say.
    if (inSync && this.options.overrideStore !== undefined) this.logger.log(`breaker overrides in sync with ${this.store.description} (${this.status().overrides.length} override(s))`);
    // Say so in health at once rather than at the next scheduled check.
    if (this.health?.get(OVERRIDE_STORE_COMPONENT) !== undefined) this.health.runNow(OVERRIDE_STORE_COMPONENT).catch(() => undefined);
  }

  /**
   * Applies `change` unless a change at least as new is known for its breaker. `force`: the version is
   * the known one's (a resync clearing an override).
   */
  private apply(change: BreakerOverrideChange, force = false): void {
    const known = this.known.get(change.breaker);
    if (!force && known !== undefined && known.version >= change.version) return;
    this.known.set(change.breaker, change);
    const policy = this.breakers?.get(change.breaker);
    if (policy !== undefined) this.enact(policy, change);
  }

  /** A breaker created after its override was known (e.g. lazily through `getOrCreate`) gets it at once. */
  private onBreakerAdded(policy: CircuitBreakerPolicy): void {
    const change = this.known.get(policy.name);
    if (change !== undefined && change.action !== 'reset') this.enact(policy, change);
  }

  private enact(policy: CircuitBreakerPolicy, change: BreakerOverrideChange): void {
    const from = policy.state;
    switch (change.action) {
      case 'force-open':
        policy.forceOpen(change.reason);
        break;
      case 'disable':
        policy.disable(change.reason);
        break;
      case 'metrics-only':
        policy.metricsOnly(change.reason);
        break;
      case 'reset':
        policy.reset(change.reason);
        break;
    }
    // This replica's own actions are recorded by OperatorService, with the caller's view of them.
    if (change.origin === this.origin) return;
    const { action, actor, reason, breaker } = change;
    const event = this.recorder.recordOperatorAction({ actor, action, breaker, reason, from, to: policy.state, via: 'store' });
    this.logger.log(
      `Operator action ${action} on breaker "${breaker}" by ${actor}, reason ${JSON.stringify(reason)}, from ${this.store.description}: ${from} → ${policy.state} (event ${event.id})`,
    );
  }
}

function describe(error: unknown): string {
  if (error === undefined) return 'connection lost';
  return error instanceof Error ? error.message : String(error);
}

import type {
  BreakerOverride,
  BreakerOverrideChange,
  BreakerOverrideListener,
  BreakerOverrideStore,
} from '../../../libs/resilience/src/admin/overrides/breaker-override.store.js';
import { InMemoryBreakerOverrideStore } from '../../../libs/resilience/src/admin/overrides/in-memory-override.store.js';

/**
 * One replica's connection to a store shared by several in-process "replicas": it can be cut (`down()`) and
 * restored (`up()`). While down, publish and load reject and the changes other replicas make are missed, as
 * a replica cut off from its database would miss NOTIFY messages.
 */
export class ReplicaStoreConnection implements BreakerOverrideStore {
  readonly description = 'shared test store';
  private listener: BreakerOverrideListener | undefined;
  private connected = true;

  constructor(private readonly shared: InMemoryBreakerOverrideStore) {}

  publish(change: Omit<BreakerOverrideChange, 'version'>): Promise<BreakerOverrideChange> {
    return this.connected ? this.shared.publish(change) : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  }

  load(): Promise<readonly BreakerOverride[]> {
    return this.connected ? this.shared.load() : Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  }

  subscribe(listener: BreakerOverrideListener): () => void {
    this.listener = listener;
    const unsubscribe = this.shared.subscribe({
      change: (change) => {
        if (this.connected) listener.change(change);
      },
      connection: () => undefined,
    });
    return () => {
      this.listener = undefined;
      unsubscribe();
    };
  }

  down(): void {
    this.connected = false;
    this.listener?.connection(false, new Error('Connection terminated unexpectedly'));
  }

  up(): void {
    this.connected = true;
    this.listener?.connection(true);
  }
}

/** A store whose deliveries the test makes by hand (late, out of order). */
export class ScriptedStore implements BreakerOverrideStore {
  readonly description = 'scripted test store';
  listener: BreakerOverrideListener | undefined;
  overrides: BreakerOverride[] = [];
  loads = 0;
  private version = 100;

  /** The next load answers (with the overrides of when it was called) only once `release()` is called. */
  hold(): { release: () => void } {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return { release };
  }

  private gate: Promise<void> | undefined;

  publish(change: Omit<BreakerOverrideChange, 'version'>): Promise<BreakerOverrideChange> {
    return Promise.resolve({ ...change, version: ++this.version });
  }

  async load(): Promise<readonly BreakerOverride[]> {
    this.loads++;
    const snapshot = [...this.overrides];
    const gate = this.gate;
    this.gate = undefined;
    await gate;
    return snapshot;
  }

  subscribe(listener: BreakerOverrideListener): () => void {
    this.listener = listener;
    return () => {
      this.listener = undefined;
    };
  }
}

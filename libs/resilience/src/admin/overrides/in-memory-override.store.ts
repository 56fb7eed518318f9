import type { BreakerOverride, BreakerOverrideChange, BreakerOverrideListener, BreakerOverrideStore } from './breaker-override.store.js';

/**
 * The default store: overrides live in this process only (one replica, or replicas managed one by one).
 * Publishing notifies subscribers synchronously, before the returned promise resolves.
 */
export class InMemoryBreakerOverrideStore implements BreakerOverrideStore {
  readonly description = 'in-memory (this process only)';
  private readonly current = new Map<string, BreakerOverride>();
  private readonly listeners = new Set<BreakerOverrideListener>();
  private version = 0;

  publish(change: Omit<BreakerOverrideChange, 'version'>): Promise<BreakerOverrideChange> {
    const committed: BreakerOverrideChange = { ...change, version: ++this.version };
    if (committed.action === 'reset') this.current.delete(committed.breaker);
    else this.current.set(committed.breaker, committed as BreakerOverride);
    for (const listener of this.listeners) listener.change(committed);
    return Promise.resolve(committed);
  }

  load(): Promise<readonly BreakerOverride[]> {
    return Promise.resolve([...this.current.values()]);
  }

  subscribe(listener: BreakerOverrideListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

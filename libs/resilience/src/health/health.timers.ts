import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Clock, TimerHandle } from '../common/clock.js';
import { HEALTH_TIMER_PREFIX } from '../resilience.constants.js';

/**
 * Every timer of the health module: created on the injected clock (so a fake clock or jest fake timers
 * drive it) and registered in `SchedulerRegistry` under `engined:health:<name>` while pending, so it is
 * visible to operators and removed at shutdown. One timer per name; setting a name again replaces it.
 */
export class HealthTimers {
  private readonly pending = new Map<string, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  set(name: string, delayMs: number, fn: () => void): void {
    this.clear(name);
    const key = HEALTH_TIMER_PREFIX + name;
    const handle = this.clock.setTimeout(() => {
      this.forget(key, handle);
      fn();
    }, delayMs);
    this.pending.set(key, handle);
    this.scheduler.addTimeout(key, handle);
  }

  has(name: string): boolean {
    return this.pending.has(HEALTH_TIMER_PREFIX + name);
  }

  clear(name: string): void {
    const key = HEALTH_TIMER_PREFIX + name;
    const handle = this.pending.get(key);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.forget(key, handle);
  }

  /** Clears every pending timer whose name starts with `prefix` (all of them without one). */
  clearAll(prefix = ''): void {
    const full = HEALTH_TIMER_PREFIX + prefix;
    // Deleting the current entry while iterating a Map is safe.
    for (const [key, handle] of this.pending) {
      if (!key.startsWith(full)) continue;
      this.clock.clearTimeout(handle);
      this.forget(key, handle);
    }
  }

  private forget(key: string, handle: TimerHandle): void {
    if (this.pending.get(key) === handle) this.pending.delete(key);
    // ScheduleModule clears the whole registry at its own shutdown, possibly before us: look before deleting.
    if (this.scheduler.doesExist('timeout', key) && this.scheduler.getTimeout(key) === handle) {
      this.scheduler.deleteTimeout(key);
    }
  }
}

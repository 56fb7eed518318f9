import type { SchedulerRegistry } from '@nestjs/schedule';
import type { Clock, TimerHandle } from '../common/clock.js';
import { HEALTH_TIMER_PREFIX } from '../resilience.constants.js';

/** One clock timer shared by every timer name due at the same instant. */
interface SharedSlot {
  readonly dueAt: number;
  handle: TimerHandle;
  readonly members: Map<string, () => void>;
}

/**
 * Every timer of the health module: created on the injected clock (so a fake clock or jest fake timers
 * drive it) and registered in `SchedulerRegistry` under `engined:health:<name>` while pending, so it is
 * visible to operators and removed at shutdown. One timer per name; setting a name again replaces it.
 * Names armed with `setAt` for the same instant share one clock timer.
 */
export class HealthTimers {
  private readonly pending = new Map<string, TimerHandle>();
  /** Shared timers by due time, and the shared timer each member key waits on. */
  private readonly slots = new Map<number, SharedSlot>();
  private readonly slotOf = new Map<string, SharedSlot>();

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

  /**
   * Like `set`, but at an absolute clock time: names due at the same instant share one clock timer (one
   * wake-up). Each name is still registered in `SchedulerRegistry` (under the shared handle) and can be
   * cleared on its own; the shared timer is cleared once no name waits on it.
   */
  setAt(name: string, dueAt: number, fn: () => void): void {
    this.clear(name);
    const key = HEALTH_TIMER_PREFIX + name;
    let slot = this.slots.get(dueAt);
    if (slot === undefined) {
      const created: SharedSlot = { dueAt, handle: undefined as unknown as TimerHandle, members: new Map() };
      created.handle = this.clock.setTimeout(() => this.fire(created), Math.max(0, dueAt - this.clock.now()));
      this.slots.set(dueAt, created);
      slot = created;
    }
    slot.members.set(key, fn);
    this.slotOf.set(key, slot);
    this.pending.set(key, slot.handle);
    this.scheduler.addTimeout(key, slot.handle);
  }

  has(name: string): boolean {
    return this.pending.has(HEALTH_TIMER_PREFIX + name);
  }

  clear(name: string): void {
    this.clearKey(HEALTH_TIMER_PREFIX + name);
  }

  /** Clears every pending timer whose name starts with `prefix` (all of them without one). */
  clearAll(prefix = ''): void {
    const full = HEALTH_TIMER_PREFIX + prefix;
    // Deleting the current entry while iterating a Map is safe.
    for (const key of this.pending.keys()) {
      if (key.startsWith(full)) this.clearKey(key);
    }
  }

  private clearKey(key: string): void {
    const handle = this.pending.get(key);
    if (handle === undefined) return;
    const slot = this.slotOf.get(key);
    if (slot === undefined) {
      this.clock.clearTimeout(handle);
    } else {
      this.slotOf.delete(key);
      slot.members.delete(key);
      if (slot.members.size === 0) {
        this.clock.clearTimeout(slot.handle);
        if (this.slots.get(slot.dueAt) === slot) this.slots.delete(slot.dueAt);
      }
    }
    this.forget(key, handle);
  }

  /** A shared timer fired: runs each name still waiting on it (one cleared by an earlier one is skipped). */
  private fire(slot: SharedSlot): void {
    if (this.slots.get(slot.dueAt) === slot) this.slots.delete(slot.dueAt);
    for (const [key, fn] of slot.members) {
      slot.members.delete(key);
      this.slotOf.delete(key);
      this.forget(key, slot.handle);
      fn();
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

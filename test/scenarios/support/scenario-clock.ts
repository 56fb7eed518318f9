import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { type TimerHandle } from '@engined/resilience';
import { FakeClock } from '@engined/resilience/testing';

/**
 * The library's `FakeClock`, plus `advanceAsync`: the FakeClock counterpart of jest's
 * `advanceTimersByTimeAsync`. `FakeClock.advance` fires every due timer synchronously, but a health
 * check is a promise chain that arms its next timer only once it has settled; advancing a long span
 * in one go would skip those timers. `advanceAsync` moves time one due timer at a time and lets the
 * promise callbacks of each step run before the next. Time never moves by itself: no wall-clock wait.
 */
export class ScenarioClock extends FakeClock {
  private readonly due = new Map<TimerHandle, number>();

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const at = this.now() + (ms > 0 ? ms : 0);
    const handle: TimerHandle = super.setTimeout(() => {
      this.due.delete(handle);
      fn();
    }, ms);
    this.due.set(handle, at);
    return handle;
  }

  override clearTimeout(handle: TimerHandle): void {
    this.due.delete(handle);
    super.clearTimeout(handle);
  }

  /** Moves time forward by `ms`, timer by timer, letting pending promise callbacks run at each step. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.now() + ms;
    await settle();
    for (;;) {
      let next = Number.POSITIVE_INFINITY;
      for (const at of this.due.values()) if (at < next) next = at;
      if (next > target) break;
      this.advance(Math.max(0, next - this.now()));
      await settle();
    }
    this.advance(target - this.now());
    await settle();
  }

  /** Moves time to the absolute clock time `at` (see `advanceAsync`). */
  async advanceTo(at: number): Promise<void> {
    if (at < this.now()) throw new RangeError(`advanceTo(${at}): the clock is already at ${this.now()}`);
    await this.advanceAsync(at - this.now());
  }
}

/**
 * Lets every queued promise callback run: a macrotask runs only once the microtask queue is empty.
 * (A turn of the event loop, not a wait: no time passes on any clock the library reads.)
 */
function settle(): Promise<void> {
  return nextMacrotask();
}

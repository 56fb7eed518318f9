import type { Clock, TimerHandle } from '../common/clock.js';

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A `Clock` whose time moves only when a test calls `advance()`. Give it to breakers and health
 * components (`clock` option or the `RESILIENCE_CLOCK` provider) to drive every timed behaviour
 * without waiting.
 *
 * ```ts
 * const clock = new FakeClock();
 * const breaker = new CircuitBreakerPolicy({ clock, openDurationMs: 5_000 });
 * clock.advance(5_000); // the breaker half-opens on its next read
 * ```
 *
 * `advance` runs due timer callbacks synchronously; promise callbacks run only once the test awaits.
 */
export class FakeClock implements Clock {
  private time: number;
  /** Pending timers, ordered by deadline, then creation. */
  private readonly timers: FakeTimer[] = [];
  private seq = 0;

  /** @param startMs initial time (ms); any origin works, only differences matter to the library. */
  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** Schedules `fn` at `now() + ms` (negative or NaN delays count as 0, like Node). */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = ms > 0 ? ms : 0;
    const timer: FakeTimer = { at: this.time + delay, seq: this.seq++, fn };
    const timers = this.timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1]!.at > timer.at) i--;
    timers.splice(i, 0, timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const i = this.timers.indexOf(handle as FakeTimer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers scheduled and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way in deadline order (ties in
   * creation order); while a callback runs, `now()` is its deadline. Timers that callbacks schedule fire
   * too if they fall due before the end.
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`FakeClock.advance(ms): ms must be a finite number >= 0, got ${ms}`);
    const target = this.time + ms;
    while (this.timers.length > 0 && this.timers[0]!.at <= target) {
      const timer = this.timers.shift()!;
      this.time = timer.at;
      timer.fn();
    }
    this.time = target;
  }
}

import type { Clock, TimerHandle } from '../../common/clock.js';
import type { TrackedCall } from './tracked-call.js';

/**
 * The timed calls of one breaker and the one clock timer that times them out.
 *
 * Every call has the same timeout, so deadlines come in start order: the queue is FIFO, from `head` to
 * `tail`. A call that settles is only marked; settled calls are popped when they reach the head. The
 * timer is armed for the head's deadline and, when it fires and finds the queue empty, lapses instead of
 * being cleared and re-armed per call. A call times out between `timeoutMs` and `timeoutMs` + a tick
 * after it started (see `track`).
 */
export class DeadlineQueue {
  private readonly calls: (TrackedCall | undefined)[] = [];
  private head = 0;
  private tail = 0;
  /** Longest wait of a call for its deadline stamp (see `track`). */
  private readonly tickMs: number;
  /** Armed a tick ahead from idle, then for the head's deadline; undefined once it lapsed. */
  private timer: TimerHandle | undefined;
  /** When `timer` fires, on the clock. */
  private timerAt = 0;
  /** The last clock reading taken for deadlines (at a call's start or a timer firing); meaningful once a timer was armed. */
  private lastReading = 0;
  private disposed = false;
  private readonly onTimer = (): void => this.expire();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {
    this.tickMs = tickOf(timeoutMs);
  }

  /**
   * Queues a timed call. Its deadline is `timeoutMs` after the first clock reading taken at or after its
   * start, so it never times out early. A clock reading costs more than the rest of this bookkeeping, so
   * a call that starts while no other timed call is in flight, and while the timer fires within a tick
   * of the last reading, skips it: the timer's reading stamps it (at most a tick late), unless the next
   * call's reading comes first.
   */
  track(call: TrackedCall): void {
    if (this.disposed) return;
    call.tracked = true;
    const queue = this.calls;
    let now = call.startedAt;
    // NaN: the policy did not read the clock at the call's start.
    if (now !== now) {
      if (this.head === this.tail && this.timer !== undefined && this.timerAt - this.lastReading <= this.tickMs) {
        call.deadline = Number.NaN;
        queue[this.tail++] = call;
        return;
      }
      now = this.clock.now();
    }
    this.lastReading = now;
    // A call still waiting for its stamp is alone at the head, and this is the first reading since it started.
    if (this.head < this.tail) stamp(queue[this.head]!, now + this.timeoutMs);
    call.deadline = now + this.timeoutMs;
    queue[this.tail++] = call;
    // From idle, the first firing comes after a tick: until then, calls that run one after another skip their reading.
    if (this.timer === undefined) this.arm(now, now + this.tickMs);
  }

  /**
   * A tracked call settled: pop the settled calls at the head. The timer is left to fire and then not
   * re-armed if nothing is left: clearing and re-arming a timer for every call would cost more than the
   * rest of the call when calls run one after another.
   */
  untrack(): void {
    const queue = this.calls;
    while (this.head < this.tail && queue[this.head]!.settled) queue[this.head++] = undefined;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Clears the timer; calls in the queue no longer time out, and calls tracked from now on are not queued. */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(now: number, at: number): void {
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.onTimer, at - now);
  }

  /** The timer fired: stamp a call waiting for a reading, time out every due call, re-arm for the next. */
  private expire(): void {
    this.timer = undefined;
    const queue = this.calls;
    const now = this.clock.now();
    this.lastReading = now;
    while (this.head < this.tail) {
      const call = queue[this.head]!;
      stamp(call, now + this.timeoutMs);
      if (!call.settled && call.deadline > now) break;
      queue[this.head++] = undefined;
      // Its events and fallback run user code, which may call the breaker again: `track` and `untrack` are re-entrant.
      call.expired();
    }
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      queue.length = 0;
      return;
    }
    // Settled calls behind a pending head are kept until it leaves; compact once the dead prefix dominates.
    if (this.head > 1024 && this.head * 2 > this.tail) {
      queue.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      queue.length = this.tail;
      this.head = 0;
    }
    if (this.timer === undefined && !this.disposed) this.arm(now, queue[this.head]!.deadline);
  }
}

/** `timeoutMs / 16`, at least 1 ms (a Node timer's resolution), at most 50 ms. */
function tickOf(timeoutMs: number): number {
  return Math.min(Math.max(timeoutMs / 16, 1), 50);
}

/** Gives a timed call that started without a clock reading its deadline. */
function stamp(call: TrackedCall, deadline: number): void {
  if (call.deadline !== call.deadline) call.deadline = deadline;
}

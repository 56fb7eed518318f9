import { describe, expect, it } from '@jest/globals';
import type { Clock } from '../../common/clock.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { DeadlineQueue } from './deadline-queue.js';
import { REGULAR, TrackedCall, type CallOwner } from './tracked-call.js';

const TIMEOUT_MS = 1_000;
/** `timeoutMs / 16`, capped at 50 ms: the longest a call waits for its deadline stamp. */
const TICK_MS = 50;

/** A fake clock that counts its readings, to show which calls skip one. */
class CountingClock extends FakeClock {
  readings = 0;
  override now(): number {
    this.readings++;
    return super.now();
  }
}

function nothing(): void {}

/** An owner that settles a call the way the policy does (mark it, pop it) and logs what timed out. */
function setup(clock: Clock = new CountingClock()) {
  const timedOut: string[] = [];
  const queue = new DeadlineQueue(clock, TIMEOUT_MS);
  const names = new Map<TrackedCall, string>();
  const settle = (call: TrackedCall): void => {
    call.markSettled();
    queue.untrack();
  };
  let onTimeOut: (call: TrackedCall) => void = nothing;
  const owner: CallOwner = {
    timeoutMs: TIMEOUT_MS,
    settleValue: settle,
    settleError: settle,
    settleIgnored: settle,
    answerValue: settle,
    answerError: settle,
    timeOut: (call) => {
      timedOut.push(`${names.get(call)}@${clock.now()}`);
      settle(call);
      onTimeOut(call);
    },
  };
  /** Starts and tracks a call; `read: false` starts it as an untimed policy call does (no clock reading). */
  const start = (name: string, read = true): TrackedCall => {
    const call = new TrackedCall(owner, 0, REGULAR, read ? clock.now() : Number.NaN, undefined);
    names.set(call, name);
    queue.track(call);
    return call;
  };
  return { queue, start, timedOut, whenTimedOut: (fn: (call: TrackedCall) => void) => (onTimeOut = fn) };
}

describe('DeadlineQueue', () => {
  it('times out every call with one timer, in start order, each timeoutMs after its start', () => {
    const clock = new FakeClock();
    const { start, timedOut } = setup(clock);
    start('a');
    clock.advance(10);
    start('b');
    clock.advance(10);
    start('c');
    expect(clock.pendingTimers).toBe(1);

    clock.advance(TIMEOUT_MS - 21);
    expect(timedOut).toEqual([]);
    clock.advance(TIMEOUT_MS);
    expect(timedOut).toEqual(['a@1000', 'b@1010', 'c@1020']);
    // Nothing left: the timer lapsed instead of being re-armed.
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves the timer armed when calls settle, and lets it lapse when it finds nothing due', () => {
    const clock = new FakeClock();
    const { start, timedOut } = setup(clock);
    start('a').success();
    start('b').failure(new Error('down'));
    // Settling cleared nothing: one timer, as when the calls were in flight.
    expect(clock.pendingTimers).toBe(1);
    clock.advance(TICK_MS);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual([]);
  });

  it('keeps a settled call behind the head until the head leaves, and times out only the pending ones', () => {
    const clock = new FakeClock();
    const { start, timedOut } = setup(clock);
    start('a');
    clock.advance(5);
    start('b').success();
    clock.advance(5);
    start('c');
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual(['a@1000', 'c@1010']);
  });

  it('skips the clock reading of a call that starts alone within a tick, and stamps it at the next reading', () => {
    const clock = new CountingClock();
    const { start, timedOut } = setup(clock);
    start('first').success(); // arms the timer a tick ahead, at 50
    clock.advance(20);
    const readings = clock.readings;
    start('unread', false);
    expect(clock.readings).toBe(readings);

    // The timer's reading at 50 stamps it: it times out 1030 ms after its start, never early.
    clock.advance(TIMEOUT_MS + 10);
    expect(timedOut).toEqual([]);
    clock.advance(TICK_MS);
    expect(timedOut).toEqual(['unread@1050']);
  });

  it('stamps a waiting call with the next call’s reading when that comes first', () => {
    const clock = new FakeClock();
    const { start, timedOut } = setup(clock);
    start('first').success();
    clock.advance(20);
    start('unread', false);
    clock.advance(10);
    start('read');
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual(['unread@1030', 'read@1030']);
  });

  it('reads the clock for an unread call when other timed calls are in flight', () => {
    const clock = new CountingClock();
    const { start, timedOut } = setup(clock);
    start('a');
    clock.advance(20);
    const readings = clock.readings;
    start('b', false);
    expect(clock.readings).toBe(readings + 1);
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual(['a@1000', 'b@1020']);
  });

  it('reads the clock for an unread call when the armed timer is more than a tick ahead (it would stamp it late)', () => {
    const clock = new CountingClock();
    const { start, timedOut } = setup(clock);
    const a = start('a');
    clock.advance(TICK_MS); // the timer fires and is re-armed for a's deadline, at 1000
    clock.advance(10);
    a.success();
    clock.advance(10);
    const readings = clock.readings;
    start('unread', false);
    expect(clock.readings).toBe(readings + 1);
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual(['unread@1070']);
  });

  it('queues and times a call tracked while another times out (user code may call the breaker again)', () => {
    const clock = new FakeClock();
    const { start, timedOut, whenTimedOut } = setup(clock);
    whenTimedOut(() => {
      whenTimedOut(nothing);
      start('retry');
    });
    start('a');
    clock.advance(TIMEOUT_MS);
    expect(timedOut).toEqual(['a@1000']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(TIMEOUT_MS);
    expect(timedOut).toEqual(['a@1000', 'retry@2000']);
  });

  it('stops timing out on dispose: the timer is cleared and later calls are not queued', () => {
    const clock = new FakeClock();
    const { queue, start, timedOut } = setup(clock);
    start('a');
    queue.dispose();
    expect(clock.pendingTimers).toBe(0);
    const late = start('late');
    expect(late.tracked).toBe(false);
    clock.advance(2 * TIMEOUT_MS);
    expect(timedOut).toEqual([]);
  });
});

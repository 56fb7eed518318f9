import { describe, expect, it } from '@jest/globals';
import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('starts at the given time and moves only on advance()', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(new FakeClock().now()).toBe(0);
  });

  it('fires due timers in deadline order, ties in creation order, with now() at each deadline', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b1@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`b2@${clock.now()}`), 20);
    clock.advance(25);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20']);
    expect(clock.now()).toBe(25);
    clock.advance(5);
    expect(fired).toEqual(['a@10', 'b1@20', 'b2@20', 'c@30']);
  });

  it('counts pending timers and never fires a cleared one', () => {
    const clock = new FakeClock();
    let fired = 0;
    const first = clock.setTimeout(() => fired++, 10);
    clock.setTimeout(() => fired++, 20);
    expect(clock.pendingTimers).toBe(2);
    clock.clearTimeout(first);
    clock.clearTimeout(first);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(fired).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fires timers scheduled by callbacks when they fall due within the same advance', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 15);
      clock.setTimeout(() => fired.push(clock.now()), 500);
    }, 10);
    clock.advance(100);
    expect(fired).toEqual([10, 25]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('treats negative and NaN delays as 0', () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, -5);
    clock.setTimeout(() => fired++, Number.NaN);
    clock.advance(0);
    expect(fired).toBe(2);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects advance(%p)', (ms) => {
    expect(() => new FakeClock().advance(ms)).toThrow(RangeError);
  });
});

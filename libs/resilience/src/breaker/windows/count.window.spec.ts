import { describe, expect, it } from '@jest/globals';
import { CountWindow } from './count.window.js';

const thresholds = { minimumCalls: 4, failureRateThreshold: 50, slowCallRateThreshold: 100 };

describe('CountWindow', () => {
  it('does not evaluate before minimumCalls, then trips at failure rate >= threshold', () => {
    const window = new CountWindow(10, thresholds);
    expect(window.failure(false)).toBe(false);
    expect(window.failure(false)).toBe(false);
    expect(window.success(false)).toBe(false);
    expect(window.stats()).toEqual({ bufferedCalls: 3, failureRate: -1, slowCallRate: -1 });
    // 2 failures of 4 = 50 %, which reaches the threshold.
    expect(window.success(false)).toBe(true);
    expect(window.tripReason()).toBe('failure rate 50% >= 50% over 4 calls');
  });

  it('stays closed just under the threshold', () => {
    const window = new CountWindow(10, { ...thresholds, minimumCalls: 5 });
    const tripped = [window.failure(false), window.failure(false), window.success(false), window.success(false), window.success(false)];
    expect(tripped).toEqual([false, false, false, false, false]);
    expect(window.stats().failureRate).toBe(40);
  });

  it('slides: the oldest call leaves the window when a new one arrives', () => {
    const window = new CountWindow(4, thresholds);
    window.failure(false);
    window.failure(false);
    window.success(false);
    // Window [F, F, S, S]: 50 % trips.
    expect(window.success(false)).toBe(true);
    // Window [F, S, S, S]: 25 %.
    expect(window.success(false)).toBe(false);
    expect(window.stats()).toEqual({ bufferedCalls: 4, failureRate: 25, slowCallRate: 0 });
    // Window [S, S, S, S].
    expect(window.success(false)).toBe(false);
    expect(window.stats().failureRate).toBe(0);
  });

  it('trips on the slow-call rate, counting slow successes and slow failures', () => {
    const window = new CountWindow(4, { minimumCalls: 4, failureRateThreshold: 100, slowCallRateThreshold: 75 });
    window.success(true);
    window.failure(true);
    window.success(false);
    expect(window.success(true)).toBe(true);
    expect(window.tripReason()).toBe('slow-call rate 75% >= 75% over 4 calls');
    expect(window.stats().slowCallRate).toBe(75);
  });

  it('caps minimumCalls at the window size so a small window can still trip', () => {
    const window = new CountWindow(2, { ...thresholds, minimumCalls: 100 });
    window.failure(false);
    expect(window.failure(false)).toBe(true);
  });

  it('keeps exact totals in a large window across many evictions', () => {
    const size = 100_000;
    const window = new CountWindow(size, { minimumCalls: size, failureRateThreshold: 100, slowCallRateThreshold: 100 });
    for (let i = 0; i < size; i++) window.failure(i % 2 === 0);
    for (let i = 0; i < size / 2; i++) window.success(false);
    // The oldest 50 000 failures (half of them slow) are evicted; 50 000 failures (25 000 slow) remain.
    expect(window.stats()).toEqual({ bufferedCalls: size, failureRate: 50, slowCallRate: 25 });
  });

  it('forgets everything on reset', () => {
    const window = new CountWindow(4, thresholds);
    window.failure(false);
    window.failure(false);
    window.failure(false);
    window.reset();
    expect(window.stats()).toEqual({ bufferedCalls: 0, failureRate: -1, slowCallRate: -1 });
    expect(window.failure(false)).toBe(false);
  });
});

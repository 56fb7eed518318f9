import { describe, expect, it } from '@jest/globals';
import { TimeWindow } from './time.window.js';

const thresholds = { minimumCalls: 3, failureRateThreshold: 50, slowCallRateThreshold: 100 };

describe('TimeWindow', () => {
  it('trips once minimumCalls calls within the window reach the failure rate', () => {
    const window = new TimeWindow(10_000, 10, thresholds);
    expect(window.failure(false, 0)).toBe(false);
    expect(window.success(false, 500)).toBe(false);
    expect(window.failure(false, 9_000)).toBe(true);
    expect(window.tripReason(9_000)).toBe('failure rate 66.67% >= 50% over 3 calls');
  });

  it('never counts stale buckets after an idle gap longer than the window (cockatiel #64)', () => {
    // 2 failures + 1 success, idle 5 minutes, then 1 failure: must not trip with minimumCalls 3
    // (counting the stale calls would give 3 failures of 4 = 75 %).
    const window = new TimeWindow(5_000, 10, { ...thresholds, failureRateThreshold: 75 });
    window.failure(false, 0);
    window.failure(false, 10);
    expect(window.success(false, 20)).toBe(false);
    expect(window.failure(false, 5 * 60_000)).toBe(false);
    expect(window.stats(5 * 60_000)).toEqual({ bufferedCalls: 1, failureRate: -1, slowCallRate: -1 });
  });

  it('drops a call once it is a full window old, also with no calls in between', () => {
    const window = new TimeWindow(1_000, 10, { ...thresholds, minimumCalls: 1 });
    window.failure(false, 1_000);
    // Buckets are 100 ms wide: the call at 1 000 sits in [1 000, 1 100) and counts until 2 000.
    expect(window.stats(1_999).bufferedCalls).toBe(1);
    expect(window.stats(2_000).bufferedCalls).toBe(0);
  });

  it('drops buckets one by one as time slides, never anything older than the window', () => {
    const window = new TimeWindow(1_000, 4, { ...thresholds, minimumCalls: 1 });
    window.failure(false, 0); // bucket [0, 250)
    window.success(false, 300); // bucket [250, 500)
    window.success(false, 600); // bucket [500, 750)
    expect(window.stats(999)).toEqual({ bufferedCalls: 3, failureRate: (1 * 100) / 3, slowCallRate: 0 });
    expect(window.stats(1_000)).toEqual({ bufferedCalls: 2, failureRate: 0, slowCallRate: 0 });
    expect(window.stats(1_250)).toEqual({ bufferedCalls: 1, failureRate: 0, slowCallRate: 0 });
    expect(window.stats(1_500).bufferedCalls).toBe(0);
  });

  it('tells a partial rotation from a full one correctly after several idle buckets', () => {
    const window = new TimeWindow(1_000, 10, { ...thresholds, minimumCalls: 1 });
    window.failure(false, 0);
    window.failure(false, 550);
    // 7 buckets later: the call at 0 is gone, the one at 550 stays.
    expect(window.success(false, 1_200)).toBe(true);
    expect(window.stats(1_200)).toEqual({ bufferedCalls: 2, failureRate: 50, slowCallRate: 0 });
  });

  it('trips on the slow-call rate', () => {
    const window = new TimeWindow(1_000, 10, { minimumCalls: 2, failureRateThreshold: 100, slowCallRateThreshold: 100 });
    window.success(true, 0);
    expect(window.success(true, 10)).toBe(true);
    expect(window.tripReason(10)).toBe('slow-call rate 100% >= 100% over 2 calls');
  });

  it('records a call from a clock that went back into the newest bucket', () => {
    const window = new TimeWindow(1_000, 10, { ...thresholds, minimumCalls: 1 });
    window.success(false, 5_000);
    window.failure(false, 4_000);
    expect(window.stats(5_000)).toEqual({ bufferedCalls: 2, failureRate: 50, slowCallRate: 0 });
  });

  it('forgets everything on reset', () => {
    const window = new TimeWindow(1_000, 10, thresholds);
    window.failure(false, 0);
    window.failure(false, 1);
    window.reset();
    expect(window.failure(false, 2)).toBe(false);
    expect(window.stats(2).bufferedCalls).toBe(1);
  });
});

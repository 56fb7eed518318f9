import { describe, expect, it } from '@jest/globals';
import { healBackoffDelay, jitteredInterval } from './heal-backoff.js';

describe('healBackoffDelay', () => {
  const backoff = { minMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0 };

  it('grows as minMs · factor^(attempt−1) and stops at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => healBackoffDelay(n, backoff))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('spreads the delay by ±jitter', () => {
    const jittered = { ...backoff, jitter: 0.2 };
    expect(healBackoffDelay(3, jittered, () => 0)).toBe(3_200);
    expect(healBackoffDelay(3, jittered, () => 0.5)).toBe(4_000);
    expect(healBackoffDelay(3, jittered, () => 0.999_999)).toBe(4_800);
  });
});

describe('jitteredInterval', () => {
  it('keeps the interval without jitter and spreads it by ±jitter otherwise', () => {
    expect(jitteredInterval(10_000, 0, () => 0)).toBe(10_000);
    expect(jitteredInterval(10_000, 0.1, () => 0)).toBe(9_000);
    expect(jitteredInterval(10_000, 0.1, () => 0.999_999)).toBe(11_000);
  });
});

import { describe, expect, it } from '@jest/globals';
import { healBackoffDelay, jitteredInterval, slottedDelay } from './heal-backoff.js';

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

describe('slottedDelay', () => {
  it('keeps the delay exact without jitter', () => {
    expect(slottedDelay(1_003, 1_000, 1_000, 0)).toBe(1_000);
    expect(slottedDelay(7, 993, 1_000, 0)).toBe(993);
  });

  it('rounds the jittered due time up to a slot of min(50, intervalMs / 20), less than one slot later', () => {
    // 1 s interval → 50 ms slots: due at 1 003 + 947 = 1 950 stays, 1 951 → 2 000.
    expect(slottedDelay(1_003, 947, 1_000, 0.1)).toBe(947);
    expect(slottedDelay(1_003, 948, 1_000, 0.1)).toBe(997);
    // Two components finishing at different times but due in the same slot share its end.
    expect(1_010 + slottedDelay(1_010, 1_021, 1_000, 0.1)).toBe(2_050);
    expect(1_037 + slottedDelay(1_037, 1_000, 1_000, 0.1)).toBe(2_050);
    // 200 ms interval → 10 ms slots; 10 ms interval → no slot.
    expect(slottedDelay(5, 201, 200, 0.1)).toBe(205);
    expect(slottedDelay(5, 9, 10, 0.1)).toBe(9);
    for (let now = 0; now < 200; now += 7) {
      for (let delay = 900; delay <= 1_100; delay += 13) {
        const slotted = slottedDelay(now, delay, 1_000, 0.1);
        expect(slotted).toBeGreaterThanOrEqual(delay);
        expect(slotted - delay).toBeLessThan(50);
        expect((now + slotted) % 50).toBe(0);
      }
    }
  });
});

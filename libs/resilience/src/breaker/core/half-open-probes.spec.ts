import { describe, expect, it } from '@jest/globals';
import { CircuitState } from '../circuit-state.js';
import { HalfOpenProbes, NO_SLOT } from './half-open-probes.js';
import { REGULAR } from './tracked-call.js';

describe('HalfOpenProbes', () => {
  it('admits `permitted` probes, then none until a slot is released', () => {
    const probes = new HalfOpenProbes(2, 100, 60_000, 60_000);
    expect([probes.take(0), probes.take(0), probes.take(0)]).toEqual([0, 1, NO_SLOT]);
    probes.release(0);
    expect(probes.take(5)).toBe(0);
    // A counted probe keeps its slot: the decision is made by the probes of this period.
    expect(probes.count(1, true)).toBe(true);
    probes.release(1);
    expect(probes.take(6)).toBe(NO_SLOT);
  });

  it('decides as soon as the outcome is certain: 2 of 3 successes needed at 50 %', () => {
    const closing = new HalfOpenProbes(3, 50, 60_000, 60_000);
    for (let i = 0; i < 3; i++) closing.take(0);
    closing.count(0, true);
    expect(closing.verdict()).toBeUndefined();
    closing.count(1, true);
    expect(closing.verdict()).toBe(CircuitState.CLOSED);
    expect(closing.verdictReason(CircuitState.CLOSED)).toBe('2 of 3 probes succeeded (2 needed)');

    const opening = new HalfOpenProbes(3, 50, 60_000, 60_000);
    for (let i = 0; i < 3; i++) opening.take(0);
    opening.count(0, false);
    expect(opening.verdict()).toBeUndefined();
    opening.count(2, false);
    expect(opening.verdict()).toBe(CircuitState.OPEN);
    expect(opening.verdictReason(CircuitState.OPEN)).toBe('2 of 3 probes failed (2 successes needed)');
  });

  it('counts only a running probe (not a regular call, not a slot already counted)', () => {
    const probes = new HalfOpenProbes(2, 100, 60_000, 60_000);
    probes.take(0);
    expect(probes.count(REGULAR, false)).toBe(false);
    expect(probes.count(1, false)).toBe(false);
    expect(probes.count(0, true)).toBe(true);
    expect(probes.count(0, false)).toBe(false);
    expect(probes.verdict()).toBeUndefined();
  });

  it('expires leases oldest first, each at its own end, as failures', () => {
    const probes = new HalfOpenProbes(3, 100, 100, 100);
    probes.take(30);
    probes.take(0);
    expect(probes.expireOldestLease(99)).toBeNaN();
    expect(probes.expireOldestLease(200)).toBe(100);
    expect(probes.expireOldestLease(200)).toBe(130);
    expect(probes.expireOldestLease(200)).toBeNaN();
    expect(probes.verdict()).toBe(CircuitState.OPEN);
    expect(probes.leaseExpiredReason()).toBe('probe did not settle within 100 ms');
  });

  it('tells a rejected caller when the oldest probe must have settled (its lease, or the call timeout when shorter)', () => {
    const probes = new HalfOpenProbes(2, 100, 60_000, 80);
    expect(probes.retryAfterMs(0)).toBe(0);
    probes.take(10);
    probes.take(20);
    expect(probes.retryAfterMs(50)).toBe(40);
    expect(probes.retryAfterMs(500)).toBe(0);
  });

  it('starts every period with every slot free and nothing counted', () => {
    const probes = new HalfOpenProbes(1, 100, 60_000, 60_000);
    probes.take(0);
    probes.count(0, false);
    expect(probes.verdict()).toBe(CircuitState.OPEN);
    probes.reset();
    expect(probes.verdict()).toBeUndefined();
    expect(probes.take(1)).toBe(0);
  });
});

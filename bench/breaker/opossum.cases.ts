import CircuitBreaker from 'opossum';
import type { CallCase, CallSubject } from '../call-cost.js';
import { CALL_TIMEOUT_MS, fail, OPEN_FOR_MS, succeed } from './workloads.js';

/** opossum never opens: its error rate must be strictly greater than the threshold, and it cannot exceed 100 %. */
const NEVER_OPENS = { errorThresholdPercentage: 100 } as const;
/** Keeps the numbers about the call path: opossum's snapshot timer re-sorts the whole window every second. */
const LEAN = { rollingPercentilesEnabled: false, enableSnapshots: false } as const;

// opossum 9 doing what the engined cases do, with the options named in each case.

/** Success path without a timeout. */
export const opossumSuccessCases: readonly CallCase[] = [
  closedCase('opossum, timeout off, other options default', succeed, { timeout: false }),
  closedCase('opossum, timeout off, no percentiles, no snapshots', succeed, { timeout: false, ...LEAN }),
];

/** Success path with a per-call timeout (opossum's own: one `setTimeout` per call). */
export const opossumTimeoutCases: readonly CallCase[] = [
  closedCase('opossum, timeout 1 s, other options default', succeed, { timeout: CALL_TIMEOUT_MS }),
  closedCase('opossum, timeout 1 s, no percentiles, no snapshots', succeed, { timeout: CALL_TIMEOUT_MS, ...LEAN }),
];

/** A failing call, in breakers that never open. */
export const opossumFailingCases: readonly CallCase[] = [
  closedCase('opossum failing, 10 s window, no percentiles', fail, { timeout: false, ...NEVER_OPENS, ...LEAN }),
  prefilledWindowCase(1_000),
  prefilledWindowCase(100_000),
];

/** A call rejected by an open breaker. */
export const opossumRejectedCases: readonly CallCase[] = [
  {
    name: 'opossum rejected, open()',
    expect: 'rejects',
    setup: (): CallSubject => {
      const breaker = new CircuitBreaker(succeed, { timeout: false, resetTimeout: OPEN_FOR_MS, ...LEAN });
      breaker.open();
      return {
        call: () => breaker.fire(),
        verify: () => (breaker.opened ? undefined : 'breaker is not open'),
        dispose: () => breaker.shutdown(),
      };
    },
  },
];

function closedCase(name: string, action: () => Promise<unknown>, options: CircuitBreaker.Options): CallCase {
  return {
    name,
    expect: action === fail ? 'rejects' : 'resolves',
    setup: (): CallSubject => {
      const breaker = new CircuitBreaker(action, options);
      return {
        call: () => breaker.fire(),
        verify: () => (breaker.closed ? undefined : 'breaker is not closed'),
        dispose: () => breaker.shutdown(),
      };
    },
  };
}

/**
 * opossum has no count window: its window is time-based and, with percentiles on (the default), every
 * failure reads `stats`, which concatenates and sorts the latency of every call in the window. So its
 * failure cost depends on how many calls the window holds. Here the window holds `size` earlier calls
 * (latencies 1–50 ms) at the start of every batch: a fresh breaker whose status is pre-filled, built
 * untimed before each batch.
 */
function prefilledWindowCase(size: number): CallCase {
  const latencies = pseudoRandomLatencies(size);
  return {
    name: `opossum failing, percentiles on, window holding ${size.toLocaleString('en-US')} calls`,
    expect: 'rejects',
    setup: (): CallSubject => {
      let breaker: CircuitBreaker | undefined;
      const refill = (): void => {
        breaker?.shutdown();
        const status = CircuitBreaker.newStatus({
          rollingCountTimeout: 10_000,
          rollingCountBuckets: 10,
          rollingPercentilesEnabled: true,
          enableSnapshots: false,
          stats: { fires: size, failures: size, latencyTimes: latencies.slice() },
        });
        breaker = new CircuitBreaker(fail, { timeout: false, ...NEVER_OPENS, status });
      };
      refill();
      return {
        call: () => breaker!.fire(),
        beforeBatch: refill,
        verify: () => (breaker!.closed ? undefined : 'breaker is not closed'),
        dispose: () => breaker!.shutdown(),
      };
    },
  };
}

/** Deterministic (same every run), spread 1–50 ms like a real dependency's latencies. */
function pseudoRandomLatencies(count: number): number[] {
  let seed = 42;
  return Array.from({ length: count }, () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return 1 + ((seed >>> 16) % 50);
  });
}

import {
  describeTrip,
  rateStats,
  ratesExceeded,
  type FailureWindow,
  type FailureWindowStats,
  type RateThresholds,
} from './failure-window.js';

const FAILED = 1;
const SLOW = 2;

/**
 * The last `size` calls, in a ring buffer with running totals: recording a call overwrites the oldest
 * slot and adjusts the totals, so each call costs O(1) whatever the size. `minimumCalls` larger than
 * `size` is capped at `size` (as Resilience4j does), otherwise the window could never trip. The buffer
 * is allocated on the first call, so a breaker that is never used stays small.
 */
export class CountWindow implements FailureWindow, RateThresholds {
  readonly needsTime = false;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  private slots: Uint8Array | undefined;
  private next = 0;
  private calls = 0;
  private failed = 0;
  private slow = 0;

  constructor(
    private readonly size: number,
    thresholds: RateThresholds,
  ) {
    this.minimumCalls = Math.min(thresholds.minimumCalls, size);
    this.failureRateThreshold = thresholds.failureRateThreshold;
    this.slowCallRateThreshold = thresholds.slowCallRateThreshold;
  }

  success(slow: boolean): boolean {
    return this.record(slow ? SLOW : 0);
  }

  failure(slow: boolean): boolean {
    return this.record(slow ? FAILED | SLOW : FAILED);
  }

  reset(): void {
    this.slots?.fill(0);
    this.next = 0;
    this.calls = 0;
    this.failed = 0;
    this.slow = 0;
  }

  tripReason(): string {
    return describeTrip(this.calls, this.failed, this.slow, this);
  }

  stats(): FailureWindowStats {
    return rateStats(this.calls, this.failed, this.slow, this.minimumCalls);
  }

  private record(bits: number): boolean {
    const slots = (this.slots ??= new Uint8Array(this.size));
    const i = this.next;
    if (this.calls === slots.length) {
      const evicted = slots[i]!;
      this.failed -= evicted & FAILED;
      this.slow -= (evicted & SLOW) >> 1;
    } else {
      this.calls++;
    }
    slots[i] = bits;
    this.failed += bits & FAILED;
    this.slow += (bits & SLOW) >> 1;
    this.next = i + 1 === slots.length ? 0 : i + 1;
    return ratesExceeded(this.calls, this.failed, this.slow, this);
  }
}

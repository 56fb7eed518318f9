import {
  describeTrip,
  rateStats,
  ratesExceeded,
  type FailureWindow,
  type FailureWindowStats,
  type RateThresholds,
} from './failure-window.js';

/**
 * The calls of the last `durationMs`, in `buckets` buckets of `durationMs / buckets` ms with running
 * totals. Bucket `k` holds the calls made in `[k·width, (k+1)·width)` of clock time; a bucket is dropped
 * from the totals as soon as it is `buckets` widths behind the current one, so no call older than
 * `durationMs` ever counts, whatever the gap since the last call (cockatiel 4's `SamplingBreaker`
 * rotates one bucket per call and keeps counting stale buckets after an idle gap).
 *
 * Cost per call is O(1): rotating `k` buckets touches `min(k, buckets)` of them, and each bucket is
 * cleared once per pass of the clock over it. A clock that goes back in time records into the newest bucket.
 */
export class TimeWindow implements FailureWindow, RateThresholds {
  readonly needsTime = true;
  private readonly width: number;
  /** Per bucket: calls, failed and slow counts, interleaved (3 numbers a bucket); allocated on first use. */
  private counts: Float64Array | undefined;
  /** Ring index of the newest bucket. */
  private head = 0;
  /** Bucket number (`floor(time / width)`) of the newest bucket. */
  private headBucket = Number.NEGATIVE_INFINITY;
  private totalCalls = 0;
  private totalFailed = 0;
  private totalSlow = 0;

  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;

  constructor(
    durationMs: number,
    private readonly buckets: number,
    thresholds: RateThresholds,
  ) {
    this.width = durationMs / buckets;
    this.minimumCalls = thresholds.minimumCalls;
    this.failureRateThreshold = thresholds.failureRateThreshold;
    this.slowCallRateThreshold = thresholds.slowCallRateThreshold;
  }

  success(slow: boolean, now: number): boolean {
    return this.record(0, slow ? 1 : 0, now);
  }

  failure(slow: boolean, now: number): boolean {
    return this.record(1, slow ? 1 : 0, now);
  }

  reset(): void {
    this.counts?.fill(0);
    this.headBucket = Number.NEGATIVE_INFINITY;
    this.totalCalls = 0;
    this.totalFailed = 0;
    this.totalSlow = 0;
  }

  tripReason(now: number): string {
    this.rotate(now);
    return describeTrip(this.totalCalls, this.totalFailed, this.totalSlow, this);
  }

  stats(now: number): FailureWindowStats {
    this.rotate(now);
    return rateStats(this.totalCalls, this.totalFailed, this.totalSlow, this.minimumCalls);
  }

  private record(failed: number, slow: number, now: number): boolean {
    this.rotate(now);
    const counts = (this.counts ??= new Float64Array(this.buckets * 3));
    const i = this.head * 3;
    counts[i]!++;
    counts[i + 1]! += failed;
    counts[i + 2]! += slow;
    this.totalCalls++;
    this.totalFailed += failed;
    this.totalSlow += slow;
    return ratesExceeded(this.totalCalls, this.totalFailed, this.totalSlow, this);
  }

  /** Makes the bucket of `now` the newest one, dropping every bucket that falls out of the window. */
  private rotate(now: number): void {
    const bucket = Math.floor(now / this.width);
    const behind = bucket - this.headBucket;
    if (!(behind > 0)) return;
    this.headBucket = bucket;
    if (behind >= this.buckets) {
      this.reset();
      this.headBucket = bucket;
      return;
    }
    const counts = this.counts;
    for (let k = 0; k < behind; k++) {
      this.head = this.head + 1 === this.buckets ? 0 : this.head + 1;
      if (counts === undefined) continue;
      const i = this.head * 3;
      this.totalCalls -= counts[i]!;
      this.totalFailed -= counts[i + 1]!;
      this.totalSlow -= counts[i + 2]!;
      counts[i] = 0;
      counts[i + 1] = 0;
      counts[i + 2] = 0;
    }
  }
}

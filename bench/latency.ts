/** Latencies of individual requests, in ms, kept whole so that any percentile can be read exactly. */
export class LatencySamples {
  private values = new Float64Array(4_096);
  private size = 0;

  get count(): number {
    return this.size;
  }

  add(ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = ms;
  }

  /** Appends every sample of `other`. */
  addAll(other: LatencySamples): void {
    for (let i = 0; i < other.size; i++) this.add(other.values[i]!);
  }

  summary(): LatencySummary {
    if (this.size === 0) throw new Error('no latency samples');
    const sorted = this.values.subarray(0, this.size).toSorted();
    let sum = 0;
    for (const value of sorted) sum += value;
    return {
      count: this.size,
      mean: sum / this.size,
      p50: nearestRank(sorted, 50),
      p90: nearestRank(sorted, 90),
      p99: nearestRank(sorted, 99),
      max: sorted[this.size - 1]!,
    };
  }
}

/** Nearest-rank percentiles of a set of samples, ms. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The nearest-rank percentile `p` (0–100] of ascending `sorted`. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The median of a few numbers (rounds of a measurement). */
export function median(values: readonly number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

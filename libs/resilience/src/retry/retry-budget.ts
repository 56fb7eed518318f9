/** Slices of a budget's `ttlMs`: a deposit or withdrawal expires within `ttlMs / SLICES` of its due time. */
const SLICES = 10;

/**
 * The retry budget of one policy (see `RetryBudgetOptions`): a sum over a sliding window of `ttlMs`, kept in
 * `SLICES` slices rolled forward from clock readings (no timer). Deposits are fractions of a token.
 */
export class RetryBudget {
  private readonly slices = new Float64Array(SLICES);
  private readonly sliceMs: number;
  /** Index (time / sliceMs) of the newest slice, its place in `slices`, and when it ends. */
  private newest = Number.NEGATIVE_INFINITY;
  private newestSlot = 0;
  private newestEnd = Number.NEGATIVE_INFINITY;
  private sum = 0;

  constructor(
    /** Tokens one call deposits (`percent / 100`). */
    private readonly deposit: number,
    /** Tokens always available (`minRetriesPerSecond · ttlMs / 1000`). */
    private readonly reserve: number,
    ttlMs: number,
  ) {
    this.sliceMs = ttlMs / SLICES;
  }

  /** One call made at `now` (the hot path: a comparison and two additions while the newest slice lasts). */
  recordCall(now: number): void {
    if (now >= this.newestEnd) this.roll(now);
    this.slices[this.newestSlot] += this.deposit;
    this.sum += this.deposit;
  }

  /** Takes a token for a retry at `now`; false when none is left. */
  tryWithdraw(now: number): boolean {
    this.roll(now);
    if (this.sum + this.reserve < 1 - 1e-9) return false;
    this.slices[this.newestSlot] -= 1;
    this.sum -= 1;
    return true;
  }

  /** Tokens available at `now` (possibly fractional). */
  available(now: number): number {
    this.roll(now);
    return Math.max(0, this.sum + this.reserve);
  }

  private roll(now: number): void {
    const index = Math.floor(now / this.sliceMs);
    if (index <= this.newest) return;
    // The slices from `newest + 1` to `index` are reused: what they hold is a full window old.
    const expired = Math.min(SLICES, index - this.newest);
    if (expired === SLICES) this.slices.fill(0);
    else for (let at = index - expired + 1; at <= index; at++) this.slices[slotOf(at)] = 0;
    // Summed afresh once per slice, so fractional deposits never drift.
    let sum = 0;
    for (const tokens of this.slices) sum += tokens;
    this.sum = sum;
    this.newest = index;
    this.newestSlot = slotOf(index);
    this.newestEnd = (index + 1) * this.sliceMs;
  }
}

function slotOf(index: number): number {
  return ((index % SLICES) + SLICES) % SLICES;
}

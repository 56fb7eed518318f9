import { CircuitState } from '../circuit-state.js';

/** `take()` when every probe slot is in use. */
export const NO_SLOT = -2;

/** Probe slot states. */
const FREE = 0;
const RUNNING = 1;
const COUNTED = 2;

/**
 * The probe slots of one HALF_OPEN period: `permitted` calls are admitted, each holds its slot for at most
 * `maxWaitMs` (its lease), and their outcomes decide between CLOSED and OPEN as soon as the decision is
 * certain. Allocated on a breaker's first half-open and `reset()` on every later one.
 */
export class HalfOpenProbes {
  /** Per slot: FREE, RUNNING or COUNTED, and its admission time. */
  private readonly status: number[];
  private readonly start: number[];
  private taken = 0;
  private successes = 0;
  private failures = 0;
  /** The smallest number of successful probes whose ratio meets the threshold. */
  private readonly successesToClose: number;

  /**
   * @param permitted `permittedCallsInHalfOpen`.
   * @param successRateThreshold `halfOpenSuccessRateThreshold`, a percent.
   * @param maxWaitMs `maxWaitInHalfOpenMs`: a probe that has not settled by then counts as failed.
   * @param leaseMs how long a probe can hold HALF_OPEN: `maxWaitMs`, or the call timeout when shorter.
   */
  constructor(
    private readonly permitted: number,
    successRateThreshold: number,
    private readonly maxWaitMs: number,
    private readonly leaseMs: number,
  ) {
    this.status = Array.from({ length: permitted }, () => FREE);
    this.start = Array.from({ length: permitted }, () => 0);
    // The epsilon absorbs float noise.
    this.successesToClose = Math.max(1, Math.ceil((permitted * successRateThreshold) / 100 - 1e-9));
  }

  /** Frees every slot for a new HALF_OPEN period. */
  reset(): void {
    this.status.fill(FREE);
    this.taken = 0;
    this.successes = 0;
    this.failures = 0;
  }

  /** Takes a free slot for a call admitted at `now`; NO_SLOT when all are taken. */
  take(now: number): number {
    if (this.taken >= this.permitted) return NO_SLOT;
    const status = this.status;
    for (let slot = 0; slot < status.length; slot++) {
      if (status[slot] === FREE) {
        status[slot] = RUNNING;
        this.start[slot] = now;
        this.taken++;
        return slot;
      }
    }
    return NO_SLOT;
  }

  /** A probe was cancelled before it counted: its slot is free again. */
  release(slot: number): void {
    if (this.status[slot] !== RUNNING) return;
    this.status[slot] = FREE;
    this.taken--;
  }

  /** Counts a running probe's outcome; false when the slot no longer runs (its lease expired first). */
  count(slot: number, ok: boolean): boolean {
    if (slot < 0 || this.status[slot] !== RUNNING) return false;
    this.status[slot] = COUNTED;
    if (ok) this.successes++;
    else this.failures++;
    return true;
  }

  /**
   * Counts the oldest running probe as failed if its lease has ended by `now`.
   * @returns when that lease ended, or NaN when no lease has ended.
   */
  expireOldestLease(now: number): number {
    const oldest = this.oldestRunning();
    if (oldest < 0) return Number.NaN;
    const expiresAt = this.start[oldest]! + this.maxWaitMs;
    if (expiresAt > now) return Number.NaN;
    this.status[oldest] = COUNTED;
    this.failures++;
    return expiresAt;
  }

  /** The reason an expired lease gives when it decides. */
  leaseExpiredReason(): string {
    return `probe did not settle within ${this.maxWaitMs} ms`;
  }

  /** CLOSED or OPEN once the counted probes make the outcome certain, else undefined. */
  verdict(): CircuitState.CLOSED | CircuitState.OPEN | undefined {
    if (this.successes >= this.successesToClose) return CircuitState.CLOSED;
    if (this.failures > this.permitted - this.successesToClose) return CircuitState.OPEN;
    return undefined;
  }

  /** The state-change reason of `verdict()`. */
  verdictReason(verdict: CircuitState.CLOSED | CircuitState.OPEN): string {
    const permitted = this.permitted;
    const needed = this.successesToClose;
    return verdict === CircuitState.CLOSED
      ? `${this.successes} of ${permitted} probes succeeded (${needed} needed)`
      : `${this.failures} of ${permitted} probes failed (${needed} successes needed)`;
  }

  /** How long HALF_OPEN lasts at most for a rejected call: until the oldest probe's timeout or lease runs out. */
  retryAfterMs(now: number): number {
    const oldest = this.oldestRunning();
    return oldest < 0 ? 0 : Math.max(0, Math.ceil(this.start[oldest]! + this.leaseMs - now));
  }

  /** The running slot admitted first, or -1. */
  private oldestRunning(): number {
    const status = this.status;
    const start = this.start;
    let oldest = -1;
    for (let slot = 0; slot < status.length; slot++) {
      if (status[slot] === RUNNING && (oldest < 0 || start[slot]! < start[oldest]!)) oldest = slot;
    }
    return oldest;
  }
}

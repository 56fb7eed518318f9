import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { CircuitState } from '../breaker/circuit-state.js';
import type { Clock, TimerHandle } from '../common/clock.js';

/** One sample: `count` rejections of `breaker` in (`fromAt`, `at`]. */
export interface RejectionSample {
  readonly breaker: string;
  readonly count: number;
  readonly fromAt: number;
  readonly at: number;
  readonly state: CircuitState;
}

interface Tracked {
  readonly policy: CircuitBreakerPolicy;
  /** The breaker's `notPermitted` total at the last reading. */
  counted: number;
  /** When that reading was taken. */
  countedAt: number;
}

/**
 * Counts each breaker's rejections without touching its call path: it reads the breaker's own
 * `notPermitted` total, on a clock timer that runs only while some breaker is in a state that rejects
 * (OPEN, HALF_OPEN, FORCED_OPEN), and once more when a breaker leaves such a state. Subscribing to a
 * breaker's `events$` instead would make the breaker build an event object on every call.
 *
 * Framework-free; the owner feeds it breakers (`track`) and their state changes (`stateChanged`).
 */
export class RejectionSampler {
  private readonly tracked = new Map<CircuitBreakerPolicy, Tracked>();
  /** Breakers in a rejecting state, read on every tick. */
  private readonly rejecting = new Set<Tracked>();
  private timer: TimerHandle | undefined;
  private disposed = false;
  private readonly onTick = (): void => this.tick();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: (sample: RejectionSample) => void,
  ) {}

  /** Starts following a breaker: its current total is the baseline (a read outside any breaker event). */
  track(policy: CircuitBreakerPolicy): void {
    if (this.disposed || this.tracked.has(policy)) return;
    const metrics = policy.metrics();
    const entry: Tracked = { policy, counted: metrics.calls.notPermitted, countedAt: this.clock.now() };
    this.tracked.set(policy, entry);
    if (rejects(metrics.state)) this.startSampling(entry);
  }

  /**
   * The breaker moved to `to` (called from its `stateChanges$`, inside the transition). Entering a rejecting
   * state only arms the timer; leaving one reads the total at once, which is safe there since the breaker
   * is in a state that its read does not move.
   */
  stateChanged(policy: CircuitBreakerPolicy, to: CircuitState): void {
    const entry = this.tracked.get(policy);
    if (entry === undefined || this.disposed) return;
    if (rejects(to)) {
      this.startSampling(entry);
      return;
    }
    if (this.rejecting.delete(entry)) this.sample(entry, to);
    if (this.rejecting.size === 0) this.stopTimer();
  }

  /** Stops following a breaker (it was disposed). */
  untrack(policy: CircuitBreakerPolicy): void {
    const entry = this.tracked.get(policy);
    if (entry === undefined) return;
    this.tracked.delete(policy);
    this.rejecting.delete(entry);
    if (this.rejecting.size === 0) this.stopTimer();
  }

  /** Clears the timer; nothing is sampled afterwards. */
  dispose(): void {
    this.disposed = true;
    this.stopTimer();
    this.tracked.clear();
    this.rejecting.clear();
  }

  /** Whether the timer is armed (for tests and the admin index route). */
  get sampling(): boolean {
    return this.timer !== undefined;
  }

  private startSampling(entry: Tracked): void {
    this.rejecting.add(entry);
    if (this.timer === undefined) this.timer = this.clock.setTimeout(this.onTick, this.intervalMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    // Reading a breaker may move it (OPEN → HALF_OPEN once its open duration is over), which calls
    // `stateChanged` and may change the set: walk a copy.
    for (const entry of Array.from(this.rejecting)) {
      const state = entry.policy.state;
      if (this.rejecting.has(entry)) this.sample(entry, state);
    }
    // A breaker that half-opened during the walk may have armed the timer already.
    if (this.rejecting.size > 0 && !this.disposed && this.timer === undefined) {
      this.timer = this.clock.setTimeout(this.onTick, this.intervalMs);
    }
  }

  private sample(entry: Tracked, state: CircuitState): void {
    const total = entry.policy.metrics().calls.notPermitted;
    const now = this.clock.now();
    const count = total - entry.counted;
    const fromAt = entry.countedAt;
    entry.counted = total;
    entry.countedAt = now;
    if (count > 0) this.emit({ breaker: entry.policy.name, count, fromAt, at: now, state });
  }
}

function rejects(state: CircuitState): boolean {
  return state === CircuitState.OPEN || state === CircuitState.HALF_OPEN || state === CircuitState.FORCED_OPEN;
}

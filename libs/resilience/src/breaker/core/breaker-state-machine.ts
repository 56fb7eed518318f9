import type { Clock } from '../../common/clock.js';
import type { ResolvedCircuitBreakerOptions, ResolvedOpenDuration } from '../circuit-breaker.options-validation.js';
import type { CircuitBreakerSnapshot } from '../circuit-breaker.snapshot.js';
import { CircuitState } from '../circuit-state.js';
import { createFailureWindow } from '../windows/create-failure-window.js';
import type { FailureWindow } from '../windows/failure-window.js';
import { HalfOpenProbes, NO_SLOT } from './half-open-probes.js';

/** Called after every transition, once the new state is in place (it may call the breaker again). */
export type TransitionListener = (from: CircuitState, to: CircuitState, at: number, reason: string) => void;

/**
 * The breaker's states and the transitions between them; it knows nothing of promises or timers (it reads
 * the clock only when a window that ignores time trips, and is otherwise handed `now`).
 *
 * - CLOSED → OPEN when the failure window trips; OPEN → HALF_OPEN once the open duration has elapsed
 *   (applied by `refresh`, when the state is read or a call arrives: no timer); HALF_OPEN closes or
 *   re-opens as soon as its probes decide. FORCED_OPEN, DISABLED and METRICS_ONLY are set by an operator
 *   and left by `reset`.
 * - Every transition starts a new generation: an outcome of a call admitted in an earlier generation
 *   never moves the state.
 * - Each trip in a row opens for longer (`openDuration` backoff); closing resets the count.
 *
 * The fields are read by the policy and written only here.
 */
export class BreakerStateMachine {
  state: CircuitState = CircuitState.CLOSED;
  /** When the current state began. */
  since: number;
  /** Start of the current (or, in HALF_OPEN, the last) OPEN period. */
  openedAt = 0;
  /** When the current (or last) OPEN period ends. */
  openUntil = 0;
  generation = 0;
  consecutiveTrips = 0;
  transitions = 0;
  /** The reason of an operator state (FORCED_OPEN, DISABLED, METRICS_ONLY). */
  operatorReason: string | undefined;
  /** Set by the policy once someone observes state changes: an unobserved breaker builds no event. */
  onTransition: TransitionListener | undefined;

  readonly window: FailureWindow;
  /** Whether the window uses `now`; when false a CLOSED breaker may record an outcome without reading the clock. */
  readonly windowNeedsTime: boolean;
  /** Allocated on the first half-open: most breakers never open. */
  private probes: HalfOpenProbes | undefined;

  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly openDuration: ResolvedOpenDuration;
  private readonly permittedCallsInHalfOpen: number;
  private readonly halfOpenSuccessRateThreshold: number;
  private readonly maxWaitInHalfOpenMs: number;
  /** How long a probe can hold HALF_OPEN: `maxWaitInHalfOpenMs`, or the call timeout when shorter. */
  private readonly probeLeaseMs: number;

  constructor(o: ResolvedCircuitBreakerOptions, random: () => number) {
    this.clock = o.clock;
    this.random = random;
    this.window = createFailureWindow(o.window, o);
    this.windowNeedsTime = this.window.needsTime;
    this.openDuration = o.openDuration;
    this.permittedCallsInHalfOpen = o.permittedCallsInHalfOpen;
    this.halfOpenSuccessRateThreshold = o.halfOpenSuccessRateThreshold;
    this.maxWaitInHalfOpenMs = o.maxWaitInHalfOpenMs;
    // A timed probe settles (at the latest as a timeout) within its timeout, before its lease runs out.
    this.probeLeaseMs = o.timeoutMs > 0 ? Math.min(o.timeoutMs, o.maxWaitInHalfOpenMs) : o.maxWaitInHalfOpenMs;
    const saved = o.initialState;
    if (saved === undefined) {
      this.since = o.clock.now();
      return;
    }
    this.since = saved.stateSince;
    this.restore(saved);
  }

  /** Applies the transitions that elapsed time implies: open duration over, probe leases expired. */
  refresh(now: number): void {
    for (;;) {
      if (this.state === CircuitState.OPEN) {
        if (now < this.openUntil) return;
        this.moveTo(CircuitState.HALF_OPEN, this.openUntil, 'open duration elapsed');
      } else if (this.state !== CircuitState.HALF_OPEN || !this.expireProbeLeases(now)) {
        return;
      }
    }
  }

  /** After `refresh(now)` in OPEN or HALF_OPEN: a probe slot for a call arriving at `now`, or NO_SLOT. */
  admitProbe(now: number): number {
    return this.state === CircuitState.OPEN ? NO_SLOT : this.probes!.take(now);
  }

  /**
   * Feeds a counted outcome of the current generation to the window (CLOSED, DISABLED, METRICS_ONLY) or to
   * the half-open decision.
   * @param now NaN when the clock was not read: read here only if the window trips.
   */
  applyOutcome(slot: number, ok: boolean, slow: boolean, now: number): void {
    const window = this.window;
    switch (this.state) {
      case CircuitState.CLOSED:
        if (ok ? window.success(slow, now) : window.failure(slow, now)) {
          if (now !== now) now = this.clock.now();
          this.moveTo(CircuitState.OPEN, now, window.tripReason(now));
        }
        return;
      case CircuitState.DISABLED:
      case CircuitState.METRICS_ONLY:
        if (ok) window.success(slow, now);
        else window.failure(slow, now);
        return;
      case CircuitState.HALF_OPEN: {
        const generation = this.generation;
        this.refresh(now);
        if (this.generation === generation && this.probes!.count(slot, ok)) this.decideHalfOpen(now);
        return;
      }
      default:
        return;
    }
  }

  /** A probe admitted in `generation` was cancelled: its slot is free again, unless its lease expired first. */
  probeCancelled(slot: number, generation: number, now: number): void {
    if (generation !== this.generation) return;
    // An expired lease counts as a failure even if the probe is cancelled afterwards.
    this.refresh(now);
    if (generation === this.generation) this.probes!.release(slot);
  }

  /** How long a call rejected at `now` should wait: OPEN until its end, HALF_OPEN until a probe slot frees; else -1. */
  retryAfterMs(now: number): number {
    if (this.state === CircuitState.OPEN) return Math.max(0, Math.ceil(this.openUntil - now));
    if (this.state === CircuitState.HALF_OPEN) return this.probes!.retryAfterMs(now);
    return -1;
  }

  /** An operator moves the breaker to `to` (if not there already) and holds it there with `reason`. */
  operate(to: CircuitState, reason: string, now: number): void {
    this.refresh(now);
    if (this.state !== to) this.moveTo(to, now, `operator: ${reason}`);
    this.operatorReason = reason;
  }

  /** Ends an OPEN period now (the open backoff is kept); false in any other state. */
  halfOpen(reason: string, now: number): boolean {
    this.refresh(now);
    if (this.state !== CircuitState.OPEN) return false;
    // As when the duration elapses: a snapshot saves HALF_OPEN as an OPEN period that has ended.
    this.openUntil = now;
    this.moveTo(CircuitState.HALF_OPEN, now, reason);
    return true;
  }

  /** Back to CLOSED with an empty window and the open backoff reset. */
  reset(reason: string, now: number): void {
    this.refresh(now);
    if (this.state !== CircuitState.CLOSED) {
      this.moveTo(CircuitState.CLOSED, now, `operator: ${reason}`);
      return;
    }
    // Already closed: start over without a transition; calls in flight no longer count in the window.
    this.generation++;
    this.consecutiveTrips = 0;
    this.window.reset();
  }

  private moveTo(to: CircuitState, at: number, reason: string): void {
    const from = this.state;
    this.state = to;
    this.since = at;
    this.generation++;
    this.transitions++;
    this.operatorReason = undefined;
    switch (to) {
      case CircuitState.OPEN:
        this.consecutiveTrips++;
        this.openedAt = at;
        this.openUntil = at + this.openDurationFor(this.consecutiveTrips);
        break;
      case CircuitState.HALF_OPEN:
        (this.probes ??= new HalfOpenProbes(
          this.permittedCallsInHalfOpen,
          this.halfOpenSuccessRateThreshold,
          this.maxWaitInHalfOpenMs,
          this.probeLeaseMs,
        )).reset();
        break;
      case CircuitState.CLOSED:
        this.consecutiveTrips = 0;
        this.window.reset();
        break;
      case CircuitState.DISABLED:
      case CircuitState.METRICS_ONLY:
        this.window.reset();
        break;
      default:
        break;
    }
    this.onTransition?.(from, to, at, reason);
  }

  /** Counts probes whose lease has ended as failed, oldest first; true if that re-opened. */
  private expireProbeLeases(now: number): boolean {
    const probes = this.probes!;
    for (;;) {
      const expiredAt = probes.expireOldestLease(now);
      if (expiredAt !== expiredAt) return false;
      if (this.decideHalfOpen(expiredAt, probes.leaseExpiredReason())) return true;
    }
  }

  /** Closes or re-opens once the probes' outcome is certain; true if it moved. */
  private decideHalfOpen(at: number, failureCause?: string): boolean {
    const probes = this.probes!;
    const verdict = probes.verdict();
    if (verdict === undefined) return false;
    const cause = verdict === CircuitState.OPEN ? failureCause : undefined;
    this.moveTo(verdict, at, cause ?? probes.verdictReason(verdict));
    return true;
  }

  /** `initialMs · multiplier^(trip-1)`, capped at `maxMs`, spread by ± jitter (never above `maxMs`). */
  private openDurationFor(trip: number): number {
    const { initialMs, maxMs, multiplier, jitter } = this.openDuration;
    let ms = Math.min(maxMs, initialMs * multiplier ** (trip - 1));
    if (jitter > 0) ms = Math.min(maxMs, ms * (1 + jitter * (2 * this.random() - 1)));
    return ms;
  }

  /** A HALF_OPEN snapshot was saved as OPEN: restored, it half-opens on first use with every probe slot free. */
  private restore(saved: CircuitBreakerSnapshot): void {
    this.state = saved.state === CircuitState.HALF_OPEN ? CircuitState.OPEN : saved.state;
    if (this.state === CircuitState.OPEN) {
      this.openedAt = saved.stateSince;
      this.openUntil = saved.openUntil!;
    }
    this.consecutiveTrips = saved.consecutiveTrips;
    this.transitions = saved.transitions;
    if (isOperatorState(this.state)) this.operatorReason = saved.reason;
  }
}

function isOperatorState(state: CircuitState): boolean {
  return state === CircuitState.FORCED_OPEN || state === CircuitState.DISABLED || state === CircuitState.METRICS_ONLY;
}

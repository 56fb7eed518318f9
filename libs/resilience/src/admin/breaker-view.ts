import type { CallCounts } from '../breaker/circuit-breaker.events.js';
import type { CircuitBreakerOptions, FailureWindowOptions } from '../breaker/circuit-breaker.options.js';
import { resolveCircuitBreakerOptions } from '../breaker/circuit-breaker.options-validation.js';
import type { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { DEFAULT_TIME_WINDOW_BUCKETS } from '../breaker/windows/create-failure-window.js';
import type { BreakerActionName } from './admin.events.js';

/** The last operator action on a breaker, as the admin API shows it. */
export interface BreakerOperatorView {
  readonly action: BreakerActionName;
  readonly actor: string;
  readonly reason: string;
  readonly at: number;
}

/** The breaker's options with defaults applied; matchers and functions only as whether they are set. */
export interface BreakerOptionsSummary {
  readonly window: Readonly<FailureWindowOptions>;
  readonly minimumCalls: number;
  readonly failureRateThreshold: number;
  /** null: slow-call detection off. */
  readonly slowCallDurationMs: number | null;
  readonly slowCallRateThreshold: number;
  readonly openDuration: { readonly initialMs: number; readonly maxMs: number; readonly multiplier: number; readonly jitter: number };
  readonly permittedCallsInHalfOpen: number;
  readonly halfOpenSuccessRateThreshold: number;
  readonly maxWaitInHalfOpenMs: number;
  /** null: no per-call timeout. */
  readonly timeoutMs: number | null;
  readonly fallback: boolean;
  readonly fallbackOnFailure: boolean;
}

/** How full the failure window is. */
export interface BreakerWindowView {
  readonly kind: FailureWindowOptions['kind'];
  /** Calls in the window now (consecutive: the current run of failures). */
  readonly bufferedCalls: number;
  /** Calls the window holds (count: `size`; consecutive: `failures`); null for a time window. */
  readonly capacity: number | null;
  /** `bufferedCalls / capacity`, 0..1; null for a time window. */
  readonly fill: number | null;
  /** Rates are evaluated (`minimumCalls` reached); always false for a consecutive window, which has none. */
  readonly evaluating: boolean;
}

/** One breaker, as `GET {prefix}/breakers` shows it. Times are clock ms. */
export interface BreakerView {
  readonly name: string;
  readonly state: CircuitState;
  /** When the current state began. */
  readonly since: number;
  /** The operator's reason in FORCED_OPEN / DISABLED / METRICS_ONLY, else the last transition's reason (null if none seen). */
  readonly reason: string | null;
  /** OPEN: ms until the breaker half-opens; null in every other state. */
  readonly retryAfterMs: number | null;
  /** The last operator action through the admin API, if any. */
  readonly operator: BreakerOperatorView | null;
  readonly metrics: {
    readonly calls: CallCounts;
    /** Percent over the window; -1 until `minimumCalls` are recorded, and always with a consecutive window. */
    readonly failureRate: number;
    readonly slowCallRate: number;
    readonly inFlight: number;
    readonly timeInStateMs: number;
    readonly transitions: number;
    readonly consecutiveTrips: number;
    readonly window: BreakerWindowView;
  };
  /** null when the breaker's options are not known (not created through the registry). */
  readonly options: BreakerOptionsSummary | null;
}

/** What the admin module knows about a breaker besides the breaker itself. */
export interface BreakerViewContext {
  readonly now: number;
  /** From `summariseBreakerOptions` (null when the options are unknown). */
  readonly summary: BreakerOptionsSummary | null;
  readonly lastTransitionReason: string | undefined;
  readonly operator: BreakerOperatorView | undefined;
}

/** Reads the breaker (its state is brought up to date on read, as for any reader) and describes it. */
export function breakerView(policy: CircuitBreakerPolicy, context: BreakerViewContext): BreakerView {
  const metrics = policy.metrics();
  const saved = policy.toJSON();
  const state = metrics.state;
  // A half-open breaker is saved as its OPEN period; it half-opened when that period ended.
  const since = state === CircuitState.HALF_OPEN ? (saved.openUntil ?? saved.stateSince) : saved.stateSince;
  const retryAfterMs = state === CircuitState.OPEN && saved.openUntil !== undefined ? Math.max(0, Math.ceil(saved.openUntil - context.now)) : null;
  const { summary } = context;
  return {
    name: policy.name,
    state,
    since,
    reason: saved.reason ?? context.lastTransitionReason ?? null,
    retryAfterMs,
    operator: context.operator ?? null,
    metrics: {
      calls: metrics.calls,
      failureRate: metrics.failureRate,
      slowCallRate: metrics.slowCallRate,
      inFlight: metrics.inFlight,
      timeInStateMs: metrics.timeInStateMs,
      transitions: metrics.transitions,
      consecutiveTrips: metrics.consecutiveTrips,
      window: windowView(summary?.window, metrics.bufferedCalls, metrics.failureRate),
    },
    options: summary,
  };
}

function windowView(window: Readonly<FailureWindowOptions> | undefined, bufferedCalls: number, failureRate: number): BreakerWindowView {
  const capacity = window === undefined ? null : window.kind === 'count' ? window.size : window.kind === 'consecutive' ? window.failures : null;
  return {
    kind: window?.kind ?? 'count',
    bufferedCalls,
    capacity,
    fill: capacity === null ? null : Math.min(1, bufferedCalls / capacity),
    evaluating: failureRate >= 0,
  };
}

/** The options summary of a breaker created with `options` (null when they are unknown or do not resolve). */
export function summariseBreakerOptions(
  name: string,
  options: Readonly<Omit<CircuitBreakerOptions, 'name' | 'clock'>> | undefined,
): BreakerOptionsSummary | null {
  if (options === undefined) return null;
  let resolved;
  try {
    resolved = resolveCircuitBreakerOptions({ ...options, name, initialState: undefined });
  } catch {
    return null;
  }
  const window = resolved.window.kind === 'time' ? { ...resolved.window, buckets: resolved.window.buckets ?? DEFAULT_TIME_WINDOW_BUCKETS } : resolved.window;
  return {
    window,
    minimumCalls: resolved.minimumCalls,
    failureRateThreshold: resolved.failureRateThreshold,
    slowCallDurationMs: Number.isFinite(resolved.slowCallDurationMs) ? resolved.slowCallDurationMs : null,
    slowCallRateThreshold: resolved.slowCallRateThreshold,
    openDuration: { ...resolved.openDuration },
    permittedCallsInHalfOpen: resolved.permittedCallsInHalfOpen,
    halfOpenSuccessRateThreshold: resolved.halfOpenSuccessRateThreshold,
    maxWaitInHalfOpenMs: resolved.maxWaitInHalfOpenMs,
    timeoutMs: resolved.timeoutMs === 0 ? null : resolved.timeoutMs,
    fallback: resolved.fallback !== undefined,
    fallbackOnFailure: resolved.fallbackOnFailure,
  };
}

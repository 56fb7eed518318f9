import type { ComponentType, HealthStatus, ProbeGroup } from './health-status.js';
import type { IndicatorResult } from './indicator-result.js';

/** What a check receives. */
export interface CheckContext {
  /**
   * Aborts when the check outlives `timeoutMs` (reason: a `TimeoutError` DOMException) or the app shuts
   * down; never after the check has returned. Created on first read, so a check that ignores it costs nothing.
   */
  signal: AbortSignal;
  /** The component's name. */
  component: string;
}

/** What a heal receives. */
export interface HealContext {
  /** Aborts when the heal outlives `healing.timeoutMs` (reason: a `TimeoutError` DOMException) or the app shuts down; never after it returned. */
  signal: AbortSignal;
  /** The component's name. */
  component: string;
  /** 1 for the first attempt since the backoff was last reset, then 2, 3, … */
  attempt: number;
}

/** A check's structured answer. */
export interface CheckResult {
  /** A status, or a boolean (`true` → HEALTHY, `false` → UNHEALTHY). */
  status: HealthStatus | boolean;
  /** Short human-readable explanation; credentials are redacted before it is stored. */
  message?: string;
  /** Extra data shown in the detailed HTTP view; string values are redacted too. */
  details?: Record<string, unknown>;
}

/**
 * What a check may return: a status, a boolean, a {@link CheckResult}, a Terminus `HealthIndicatorResult`
 * (`up` → HEALTHY, `degraded` → DEGRADED, `down` → UNHEALTHY, the worst entry winning; the entries become
 * the details), or nothing (resolving counts as HEALTHY). Throwing, or outliving `timeoutMs`, counts as
 * UNHEALTHY (or UNKNOWN with `onError: 'unknown'`), with the error captured; the module never lets it
 * escape. A thrown Terminus `HealthCheckError` is UNHEALTHY with its `causes` as details, whatever `onError`.
 */
export type CheckOutcome = HealthStatus | boolean | CheckResult | IndicatorResult | void | undefined;

/**
 * A health check. Reading health never runs it; the module's scheduler does. It may return any thenable,
 * such as Terminus' `HealthIndicatorService.check(key).attempt(fn)`.
 */
export type CheckFn = (context: CheckContext) => CheckOutcome | PromiseLike<CheckOutcome>;

/** A heal: repairs the component (reconnect, rebuild a pool…). Resolving means "done", not "healthy": a check verifies. */
export type HealFn = (context: HealContext) => unknown;

/** Delay between heal attempts: `minMs · factor^(n−1)` capped at `maxMs`, spread by ±`jitter`. */
export interface HealBackoffOptions {
  /** Delay after the first failed attempt. Default 1 000 ms. */
  minMs?: number;
  /** Upper bound of the delay. Default 60 000 ms. */
  maxMs?: number;
  /** Growth per attempt, ≥ 1. Default 2. */
  factor?: number;
  /** Random spread as a fraction of the delay, 0..1 (0.2 → ±20 %). Default 0.2. */
  jitter?: number;
}

/** What happens once healing gave up (GAVE_UP). */
export interface HealEscalationOptions {
  /** Report the readiness group UNHEALTHY while given up (the instance leaves rotation). Default true. */
  readiness?: boolean;
  /**
   * After this long in GAVE_UP, also report liveness UNHEALTHY so the orchestrator restarts the pod.
   * Default: never.
   */
  livenessAfterMs?: number;
}

/** How an UNHEALTHY component is healed. */
export interface HealingOptions {
  /** A heal running longer than this is aborted and counts as `timeout`. Default 30 000 ms. */
  timeoutMs?: number;
  /** Backoff between attempts. */
  backoff?: HealBackoffOptions;
  /** At most this many attempts within `windowMs`, then GAVE_UP. Default 5. */
  maxAttempts?: number;
  /** The window of `maxAttempts`. Default 300 000 ms (5 minutes). */
  windowMs?: number;
  /** The backoff (attempt count) resets once the component has stayed healthy this long. Default 60 000 ms. */
  stableForMs?: number;
  /**
   * How long a heal's verification may wait for the component to answer. The check re-runs right after
   * the heal; when it fails, the first passing check within this window (scheduled, or early) still
   * verifies the attempt, which stays HEALING until then. Meant for heals that cannot work before the
   * dependency is back (a pool rebuilt while the database is down): the attempt is judged once the
   * dependency can answer, so heal results and GAVE_UP reflect whether heals help. Default 0: the
   * re-check right after the heal decides.
   */
  verifyWindowMs?: number;
  /** What GAVE_UP does to the probe groups. */
  escalation?: HealEscalationOptions;
}

/**
 * Flap detection: a component whose check results keep changing between passing and failing is reported
 * DEGRADED while it does (or UNHEALTHY, with `status: 'unhealthy'`), whatever hysteresis makes of the flips, so
 * neither readiness nor a gRPC Watch follows each flip, and a check that fails often but never long enough to
 * cross `failureThreshold` shows.
 */
export interface FlappingOptions {
  /**
   * More result changes than this within `windowMs` make the component flapping. A change is a check result
   * that passes (HEALTHY/DEGRADED) after one that failed (UNHEALTHY/UNKNOWN), or the reverse; counted on check
   * results before hysteresis. Default 4 (an outage and its recovery are 2).
   */
  maxTransitions?: number;
  /** The window of `maxTransitions`; the component leaves flapping once no result changed for this long. Default `20 · intervalMs`. */
  windowMs?: number;
  /**
   * What a flapping component is reported as. `'degraded'` (default): serving but impaired, so readiness stays
   * SERVING instead of following each flip. `'unhealthy'`: failing until it is stable again (a critical one keeps
   * the instance out of rotation), for a dependency whose outage must never hide behind its flapping.
   */
  status?: 'degraded' | 'unhealthy';
}

/** Options every component shares; each has a default, overridable module-wide through `defaults`. */
export interface ComponentOptions {
  /** What the component watches. Default `'custom'`. */
  type?: ComponentType;
  /** A critical UNHEALTHY component makes its groups UNHEALTHY; a non-critical one only DEGRADED. Default true. */
  critical?: boolean;
  /** Probe groups the component belongs to. Default `['readiness']`. */
  probes?: readonly ProbeGroup[];
  /** Allow an external type (database, cache, queue, http, grpc) in liveness. Default false. */
  allowInLiveness?: boolean;
  /** Components this one needs; they are healed first, and this one is not healed while one of them fails. Default []. */
  dependsOn?: readonly string[];
  /**
   * Circuit breakers (names in `BreakerRegistry`) that guard the calls to this dependency; unknown names
   * fail bootstrap. Links the breakers and the component both ways:
   * - a passing check half-opens every guard that has been OPEN since before the check started, so the
   *   next call probes at once instead of after the rest of the open duration;
   * - a guard that trips (to OPEN) turns the component failing at once (`onError`'s status) and, when it
   *   tripped from CLOSED, checks the component right away;
   * - every failure a guard counts is a failed result for `failureThreshold`, like a failed check; a
   *   passing check or a successful call through a guard ends the run;
   * - while a guard rejects every call (OPEN or FORCED_OPEN) the component counts as failing in its probe
   *   groups (liveness excepted): UNHEALTHY when critical, DEGRADED otherwise (`blockedBy` in its snapshot).
   * Default [].
   */
  guards?: readonly string[];
  /** Delay between the end of one check and the start of the next. Default 10 000 ms. */
  intervalMs?: number;
  /** A check running longer than this is aborted and counts as failed. Default 5 000 ms. */
  timeoutMs?: number;
  /** Delay of the first check after bootstrap (or registration). Default 0. */
  initialDelayMs?: number;
  /**
   * Random spread of `intervalMs` as a fraction, 0..1 (0.1 → ±10 %). Default 0.
   *
   * With jitter > 0, each jittered due time is then rounded UP to the next multiple of a slot of
   * `min(50 ms, intervalMs / 20)` (counted from the clock's origin), so components due in the same slot
   * share one clock timer (one wake-up): a check is never earlier than its jittered time and less than one slot
   * later. The next cycle is still armed only after the previous check finished, so cycles never overlap.
   * With jitter 0 nothing is rounded: checks run exactly `intervalMs` apart.
   */
  jitter?: number;
  /** Consecutive failed checks before a passing component turns UNHEALTHY. Default 3. */
  failureThreshold?: number;
  /** Consecutive passing checks before an UNHEALTHY component turns HEALTHY again. Default 1. */
  successThreshold?: number;
  /**
   * A result older than this turns the component UNKNOWN; each further period without a result
   * counts as a failed check. Default `2 · intervalMs + timeoutMs`; 0 disables staleness.
   */
  maxResultAgeMs?: number;
  /**
   * Status of a check that throws or times out. Default `'unhealthy'`. With `'unknown'` such a component
   * counts as failing in aggregation but is not healed (only UNHEALTHY components are).
   */
  onError?: 'unhealthy' | 'unknown';
  /** Healing policy (used only when the component has a heal). */
  healing?: HealingOptions;
  /** Flap detection (see {@link FlappingOptions}); `false` turns it off. Default on, with its defaults. */
  flapping?: FlappingOptions | false;
}

/** A component registered programmatically (`HealthModule.forRoot({ components })` or `HealthRegistry.register`). */
export interface HealthComponentDefinition extends ComponentOptions {
  /** Unique name: the key in HTTP responses, the gRPC health service name, the metrics label. */
  name: string;
  /** The check. */
  check: CheckFn;
  /** Optional heal, run when the component is UNHEALTHY. */
  heal?: HealFn;
}

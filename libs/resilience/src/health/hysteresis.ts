import { HealthStatus, isFailing, isPassing } from './health-status.js';

/** The part of a component's state that hysteresis reads and writes. */
export interface HysteresisState {
  status: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

/** Thresholds, both ≥ 1. */
export interface HysteresisThresholds {
  failureThreshold: number;
  successThreshold: number;
}

/**
 * Applies one check result and returns the new status (the counters are updated in place).
 * - A passing component (HEALTHY/DEGRADED) turns failing only after `failureThreshold` failed results in a row.
 * - An UNHEALTHY component turns passing only after `successThreshold` passing results in a row.
 * - From UNKNOWN (never checked, stale, or an `onError: 'unknown'` failure) the result is taken at once:
 *   hysteresis guards a known state, and an unknown state has nothing to guard.
 * - HEALTHY ↔ DEGRADED and UNHEALTHY ↔ UNKNOWN follow the latest result directly.
 */
export function applyResult(state: HysteresisState, result: HealthStatus, t: HysteresisThresholds): HealthStatus {
  const current = state.status;
  if (isPassing(result)) {
    state.consecutiveSuccesses++;
    state.consecutiveFailures = 0;
    if (current === HealthStatus.UNHEALTHY && state.consecutiveSuccesses < t.successThreshold) return current;
    return result;
  }
  state.consecutiveFailures++;
  state.consecutiveSuccesses = 0;
  if (isPassing(current) && state.consecutiveFailures < t.failureThreshold) return current;
  return result;
}

/**
 * Applies one period without a result (the last one is older than `maxResultAgeMs`): the component
 * turns UNKNOWN at once, and the period counts as a failure, so after `failureThreshold` periods it is
 * UNHEALTHY (and can be healed). An UNHEALTHY component stays UNHEALTHY.
 */
export function applyStale(state: HysteresisState, t: HysteresisThresholds): HealthStatus {
  state.consecutiveFailures++;
  state.consecutiveSuccesses = 0;
  if (state.status === HealthStatus.UNHEALTHY) return HealthStatus.UNHEALTHY;
  return state.consecutiveFailures >= t.failureThreshold && isFailing(state.status)
    ? HealthStatus.UNHEALTHY
    : HealthStatus.UNKNOWN;
}

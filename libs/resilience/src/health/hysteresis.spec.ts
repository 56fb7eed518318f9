import { describe, expect, it } from '@jest/globals';
import { applyResult, applyStale, type HysteresisState } from './hysteresis.js';
import { HealthStatus } from './health-status.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;
const thresholds = { failureThreshold: 3, successThreshold: 2 };

function run(start: HealthStatus, results: HealthStatus[]): HealthStatus[] {
  const state: HysteresisState = { status: start, consecutiveFailures: 0, consecutiveSuccesses: 0 };
  return results.map((result) => (state.status = applyResult(state, result, thresholds)));
}

describe('applyResult', () => {
  it('needs failureThreshold failures in a row to leave a passing state', () => {
    expect(run(HEALTHY, [UNHEALTHY, UNHEALTHY, HEALTHY, UNHEALTHY, UNHEALTHY, UNHEALTHY])).toEqual([
      HEALTHY, HEALTHY, HEALTHY, HEALTHY, HEALTHY, UNHEALTHY,
    ]);
  });

  it('needs successThreshold passes in a row to leave UNHEALTHY', () => {
    expect(run(UNHEALTHY, [HEALTHY, UNHEALTHY, HEALTHY, DEGRADED])).toEqual([UNHEALTHY, UNHEALTHY, UNHEALTHY, DEGRADED]);
  });

  it('takes any result at once from UNKNOWN', () => {
    expect(run(UNKNOWN, [UNHEALTHY])).toEqual([UNHEALTHY]);
    expect(run(UNKNOWN, [HEALTHY])).toEqual([HEALTHY]);
  });

  it('applies the failure threshold to UNKNOWN results too (onError: unknown)', () => {
    expect(run(HEALTHY, [UNKNOWN, UNKNOWN, UNKNOWN])).toEqual([HEALTHY, HEALTHY, UNKNOWN]);
  });
});

describe('applyStale', () => {
  it('turns a passing component UNKNOWN at once, then UNHEALTHY once the periods reach failureThreshold', () => {
    const state: HysteresisState = { status: HEALTHY, consecutiveFailures: 0, consecutiveSuccesses: 4 };
    const seen = [1, 2, 3].map(() => (state.status = applyStale(state, thresholds)));
    expect(seen).toEqual([UNKNOWN, UNKNOWN, UNHEALTHY]);
  });

  it('keeps an UNHEALTHY component UNHEALTHY', () => {
    const state: HysteresisState = { status: UNHEALTHY, consecutiveFailures: 5, consecutiveSuccesses: 0 };
    expect(applyStale(state, thresholds)).toBe(UNHEALTHY);
  });
});

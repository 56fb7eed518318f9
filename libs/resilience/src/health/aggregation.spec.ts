import { describe, expect, it } from '@jest/globals';
import { aggregateStatus, countsFor } from './aggregation.js';
import type { ComponentSnapshot, EscalationLevel } from './health.snapshot.js';
import { HealthStatus, type ProbeGroup } from './health-status.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;

function component(
  status: HealthStatus,
  critical = true,
  probes: ProbeGroup[] = ['readiness'],
  escalation: EscalationLevel = 'none',
): ComponentSnapshot {
  return {
    name: `${status}-${critical}`,
    type: 'custom',
    critical,
    probes,
    dependsOn: [],
    status,
    since: 0,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    stale: false,
    escalation,
  };
}

describe('aggregateStatus', () => {
  it.each([
    ['nothing', [], HEALTHY],
    ['all healthy', [component(HEALTHY), component(HEALTHY, false)], HEALTHY],
    ['a critical component UNHEALTHY', [component(HEALTHY), component(UNHEALTHY)], UNHEALTHY],
    ['a non-critical component UNHEALTHY', [component(HEALTHY), component(UNHEALTHY, false)], DEGRADED],
    ['any component DEGRADED', [component(HEALTHY), component(DEGRADED)], DEGRADED],
    ['a non-critical DEGRADED and a critical UNHEALTHY', [component(DEGRADED, false), component(UNHEALTHY)], UNHEALTHY],
    ['a critical component UNKNOWN (not checked yet, or stale)', [component(HEALTHY), component(UNKNOWN)], UNHEALTHY],
    ['a non-critical component UNKNOWN', [component(UNKNOWN, false)], DEGRADED],
  ])('with %s: %s', (_label, components, expected) => {
    expect(aggregateStatus(components, 'system', false)).toBe(expected);
    expect(aggregateStatus(components, 'readiness', false)).toBe(expected);
  });

  it('counts only the members of a probe group', () => {
    const components = [component(UNHEALTHY, true, ['readiness']), component(HEALTHY, true, ['liveness'])];
    expect(aggregateStatus(components, 'liveness', false)).toBe(HEALTHY);
    expect(aggregateStatus(components, 'readiness', false)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'startup', false)).toBe(HEALTHY);
  });

  it('lets a given-up component force readiness down, and liveness only at the liveness level', () => {
    const readiness = [component(UNHEALTHY, false, ['startup'], 'readiness')];
    expect(aggregateStatus(readiness, 'readiness', false)).toBe(UNHEALTHY);
    expect(aggregateStatus(readiness, 'liveness', false)).toBe(HEALTHY);
    expect(aggregateStatus(readiness, 'startup', false)).toBe(DEGRADED);
    const liveness = [component(UNHEALTHY, false, ['startup'], 'liveness')];
    expect(aggregateStatus(liveness, 'liveness', false)).toBe(UNHEALTHY);
    expect(countsFor(liveness[0]!, 'liveness')).toBe(true);
  });

  it('reports every scope but liveness UNHEALTHY while shutting down', () => {
    const components = [component(HEALTHY, true, ['liveness', 'readiness', 'startup'])];
    expect(aggregateStatus(components, 'readiness', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'system', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'startup', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'liveness', true)).toBe(HEALTHY);
  });
});

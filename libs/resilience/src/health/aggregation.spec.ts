import { describe, expect, it } from '@jest/globals';
import { aggregateStatus, countsFor, HEALTH_SCOPES, ScopeTallies } from './aggregation.js';
import type { ComponentSnapshot, EscalationLevel } from './health.snapshot.js';
import { HealthStatus, PROBE_GROUPS, type ProbeGroup } from './health-status.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;

function component(
  status: HealthStatus,
  critical = true,
  probes: ProbeGroup[] = ['readiness'],
  escalation: EscalationLevel = 'none',
  blockedBy?: string,
): ComponentSnapshot {
  return {
    name: `${status}-${critical}`,
    type: 'custom',
    critical,
    probes,
    dependsOn: [],
    guards: blockedBy === undefined ? [] : [blockedBy],
    ...(blockedBy === undefined ? {} : { blockedBy }),
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

  it('counts a component whose guard rejects every call as failing, whatever its status, in every scope but liveness', () => {
    const everywhere: ProbeGroup[] = ['liveness', 'readiness', 'startup'];
    for (const status of [HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN]) {
      const critical = [component(status, true, everywhere, 'none', 'db')];
      expect([status, aggregateStatus(critical, 'readiness', false)]).toEqual([status, UNHEALTHY]);
      expect([status, aggregateStatus(critical, 'startup', false)]).toEqual([status, UNHEALTHY]);
      expect([status, aggregateStatus(critical, 'system', false)]).toEqual([status, UNHEALTHY]);
      const nonCritical = [component(status, false, everywhere, 'none', 'db')];
      expect([status, aggregateStatus(nonCritical, 'readiness', false)]).toEqual([status, DEGRADED]);
    }
    expect(aggregateStatus([component(HEALTHY, true, everywhere, 'none', 'db')], 'liveness', false)).toBe(HEALTHY);
  });

  it('reports every scope but liveness UNHEALTHY while shutting down', () => {
    const components = [component(HEALTHY, true, ['liveness', 'readiness', 'startup'])];
    expect(aggregateStatus(components, 'readiness', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'system', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'startup', true)).toBe(UNHEALTHY);
    expect(aggregateStatus(components, 'liveness', true)).toBe(HEALTHY);
  });
});

/** A small seeded PRNG (mulberry32), so the walk below is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('ScopeTallies', () => {
  it('agrees with aggregateStatus for every scope through 2,000 random adds, changes and removals', () => {
    const random = seeded(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const statuses = [HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN];
    const escalations: EscalationLevel[] = ['none', 'none', 'none', 'readiness', 'liveness'];
    const randomSnapshot = () =>
      component(
        pick(statuses),
        random() < 0.6,
        PROBE_GROUPS.filter(() => random() < 0.5),
        pick(escalations),
        random() < 0.2 ? 'db' : undefined,
      );
    const tallies = new ScopeTallies();
    const live: ComponentSnapshot[] = [];
    const seen = new Set<HealthStatus>();
    const mismatches: object[] = [];
    for (let step = 0; step < 2_000; step++) {
      const roll = random();
      if (roll < 0.3 || live.length === 0) {
        const added = randomSnapshot();
        tallies.move(undefined, added);
        live.push(added);
      } else if (roll < 0.4) {
        const [removed] = live.splice(Math.floor(random() * live.length), 1);
        tallies.move(removed, undefined);
      } else {
        const i = Math.floor(random() * live.length);
        const next = randomSnapshot();
        tallies.move(live[i], next);
        live[i] = next;
      }
      for (const scope of HEALTH_SCOPES) {
        for (const shuttingDown of [false, true]) {
          const expected = aggregateStatus(live, scope, shuttingDown);
          const actual = tallies.status(scope, shuttingDown);
          if (actual !== expected) mismatches.push({ step, scope, shuttingDown, expected, actual });
        }
        seen.add(tallies.status(scope, false));
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The walk reached every aggregate status, so the comparison covered all three.
    expect([...seen].toSorted()).toEqual([DEGRADED, HEALTHY, UNHEALTHY]);
  });
});

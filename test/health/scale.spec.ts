import { afterEach, describe, expect, it } from '@jest/globals';
import { aggregateStatus, HEALTH_SCOPES } from '../../libs/resilience/src/health/aggregation.js';
import type { HealthComponentDefinition } from '../../libs/resilience/src/health/health-component.options.js';
import { HealthStatus, type ProbeGroup } from '../../libs/resilience/src/health/health-status.js';
import { FakeClock } from '../../libs/resilience/src/testing/fake-clock.js';
import { type HealthHarness, startHealth } from './support/harness.js';

const { HEALTHY, UNHEALTHY } = HealthStatus;

/** Lets every started check finish and re-arm its next cycle (FakeClock fires timers; promises need a turn). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A small seeded PRNG (mulberry32), so a walk is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}


/** 1,000 components on a fake clock: CPU-bound, ~1–5 s here, but over 20 s on a 2-core machine at load 30. */
const SCALE_TEST_MS = 60_000;
describe('scheduling 1,000 components', () => {
  let h: HealthHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const N = 1_000;

  async function thousand(clock: FakeClock, answer: () => boolean) {
    const starts = new Map<string, number[]>();
    const components: HealthComponentDefinition[] = Array.from({ length: N }, (_, i) => {
      const name = `c${i}`;
      starts.set(name, []);
      return {
        name,
        intervalMs: 1_000,
        failureThreshold: 1,
        check: () => {
          starts.get(name)!.push(clock.now());
          return answer();
        },
      };
    });
    h = await startHealth({ clock, historySize: 5, components });
    return starts;
  }

  it('keeps exactly two pending timers per component, cycles at exact multiples of intervalMs, and bounded history', async () => {
    const clock = new FakeClock(0);
    const starts = await thousand(clock, () => true);
    const timersPerComponent = () => [clock.pendingTimers / N, h!.scheduler.getTimeouts().length / N];

    clock.advance(0);
    await settle();
    // The next cycle and the staleness watch; nothing else stays armed between checks.
    expect(timersPerComponent()).toEqual([2, 2]);
    for (let cycle = 1; cycle <= 20; cycle++) {
      clock.advance(1_000);
      await settle();
    }
    expect(timersPerComponent()).toEqual([2, 2]);
    const expected = Array.from({ length: 21 }, (_, k) => k * 1_000);
    const drifted = [...starts].filter(([, times]) => times.join() !== expected.join());
    expect(drifted).toEqual([]);
    expect(h!.registry.history('c999').checks.map((c) => c.at)).toEqual([16_000, 17_000, 18_000, 19_000, 20_000]);
    expect(h!.registry.status('system')).toBe(HEALTHY);

    await h!.close();
    h = undefined;
    expect(clock.pendingTimers).toBe(0);
  }, SCALE_TEST_MS);

  it('reports one aggregate change per scope when all 1,000 fail in the same cycle', async () => {
    const clock = new FakeClock(0);
    let up = true;
    await thousand(clock, () => up);
    clock.advance(0);
    await settle();
    const before = h!.events.length;
    up = false;
    clock.advance(1_000);
    await settle();
    const after = h!.events.slice(before);
    expect(after.filter((e) => e.type === 'status_change')).toHaveLength(N);
    expect(after.filter((e) => e.type === 'aggregate_change').map((e) => [e.type === 'aggregate_change' && e.scope, e.at])).toEqual([
      ['system', 1_000],
      ['readiness', 1_000],
    ]);
    expect([h!.registry.status('system'), h!.registry.status('readiness'), h!.registry.status('liveness')]).toEqual([
      UNHEALTHY,
      UNHEALTHY,
      HEALTHY,
    ]);
  }, SCALE_TEST_MS);
});

describe('aggregates kept incrementally by the registry', () => {
  let h: HealthHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('always equal the aggregation rule applied to every snapshot, through a seeded walk of failures, give-ups, escalations and (un)registrations', async () => {
    const random = seeded(7);
    const clock = new FakeClock(0);
    const up = new Map<string, boolean>();
    const groups: readonly ProbeGroup[][] = [['readiness'], ['liveness'], ['startup'], ['readiness', 'startup'], []];
    const definition = (name: string): HealthComponentDefinition => {
      up.set(name, true);
      const heals = random() < 0.5;
      return {
        name,
        type: 'internal',
        critical: random() < 0.3,
        probes: groups[Math.floor(random() * groups.length)]!,
        intervalMs: 1_000,
        failureThreshold: 1 + Math.floor(random() * 2),
        check: () => up.get(name)!,
        ...(heals
          ? {
              heal: () => undefined,
              healing: {
                maxAttempts: 1,
                backoff: { minMs: 1_000, jitter: 0 },
                escalation: { readiness: random() < 0.7, ...(random() < 0.5 ? { livenessAfterMs: 2_000 } : {}) },
              },
            }
          : {}),
      };
    };
    h = await startHealth({ clock, components: Array.from({ length: 20 }, (_, i) => definition(`c${i}`)) });
    const registry = h.registry;
    let extra = 0;
    const mismatches: object[] = [];
    const seen = new Set<string>();
    const compare = (step: number, when: string) => {
      const snapshots = registry.components();
      for (const scope of HEALTH_SCOPES) {
        const expected = aggregateStatus(snapshots, scope, false);
        if (registry.status(scope) !== expected) mismatches.push({ step, when, scope, expected, actual: registry.status(scope) });
        seen.add(`${scope}:${expected}`);
      }
      for (const snapshot of snapshots) seen.add(`escalation:${snapshot.escalation}`);
    };
    clock.advance(0);
    await settle();
    for (let step = 0; step < 150; step++) {
      // Failures are rarer than recoveries, so the walk also spends time in DEGRADED and HEALTHY scopes.
      for (const [name, isUp] of up) if (random() < (isUp ? 0.04 : 0.3)) up.set(name, !isUp);
      const roll = random();
      if (roll < 0.1) {
        const name = `extra${extra++}`;
        registry.register(definition(name));
        up.set(name, random() < 0.5);
        compare(step, `registered ${name}`);
      } else if (roll < 0.2) {
        // Prefer removing a failing one: its contribution must leave the aggregates with it.
        const extras = registry.components().filter((c) => c.name.startsWith('extra'));
        const removable = extras.filter((c) => c.status !== HEALTHY).concat(extras);
        if (removable.length > 0) {
          const name = removable[0]!.name;
          registry.unregister(name);
          up.delete(name);
          compare(step, `unregistered ${name}`);
        }
      }
      clock.advance(1_000);
      await settle();
      compare(step, 'after a cycle');
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    // The walk went through every status of every scope and both escalation levels.
    expect([...seen].toSorted()).toEqual([
      'escalation:liveness',
      'escalation:none',
      'escalation:readiness',
      ...HEALTH_SCOPES.flatMap((scope) => ['DEGRADED', 'HEALTHY', 'UNHEALTHY'].map((status) => `${scope}:${status}`)),
    ].toSorted());
    h.logger.takeErrors(); // give-ups and escalations are logged on purpose here; their counts are not the point
  }, SCALE_TEST_MS);
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { type HealthHarness, scriptedCheck, startHealth } from './support/harness.js';

const { HEALTHY, DEGRADED, UNHEALTHY } = HealthStatus;

describe('system health and probe groups', () => {
  let h: HealthHarness | undefined;
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    jest.useRealTimers();
  });

  async function start() {
    const checks = { db: scriptedCheck(true), cache: scriptedCheck(true), loop: scriptedCheck(true), warmup: scriptedCheck(true) };
    h = await startHealth({
      defaults: { failureThreshold: 1, intervalMs: 1_000 },
      components: [
        { name: 'db', type: 'database', check: checks.db.fn },
        { name: 'cache', type: 'cache', critical: false, check: checks.cache.fn },
        { name: 'loop', type: 'internal', probes: ['liveness'], check: checks.loop.fn },
        { name: 'warmup', probes: ['startup'], check: checks.warmup.fn },
      ],
    });
    await jest.advanceTimersByTimeAsync(0);
    return checks;
  }

  it('groups components by probe and aggregates each group by the same rule', async () => {
    const checks = await start();
    expect(h!.registry.system().components.map((c) => c.name)).toEqual(['db', 'cache', 'loop', 'warmup']);
    expect(h!.registry.probe('readiness').components.map((c) => c.name)).toEqual(['db', 'cache']);
    expect(h!.registry.probe('liveness').components.map((c) => c.name)).toEqual(['loop']);
    expect(h!.registry.probe('startup').components.map((c) => c.name)).toEqual(['warmup']);

    checks.cache.answer(false); // non-critical: degrades
    await jest.advanceTimersByTimeAsync(1_000);
    expect([h!.registry.system().status, h!.registry.probe('readiness').status, h!.registry.probe('liveness').status]).toEqual([
      DEGRADED,
      DEGRADED,
      HEALTHY,
    ]);

    checks.db.answer(false); // critical: fails readiness, not liveness
    await jest.advanceTimersByTimeAsync(1_000);
    expect([h!.registry.status('system'), h!.registry.status('readiness'), h!.registry.status('liveness')]).toEqual([
      UNHEALTHY,
      UNHEALTHY,
      HEALTHY,
    ]);
  });

  it('emits aggregate_change for every scope that changes, after the component’s status_change', async () => {
    const checks = await start();
    const before = h!.events.length;
    checks.db.answer(false);
    await jest.advanceTimersByTimeAsync(1_000);
    const changes = h!.events.slice(before).filter((e) => e.type === 'status_change' || e.type === 'aggregate_change');
    expect(changes).toEqual([
      { type: 'status_change', component: 'db', from: HEALTHY, to: UNHEALTHY, reason: undefined, at: 1_000 },
      { type: 'aggregate_change', scope: 'system', from: HEALTHY, to: UNHEALTHY, at: 1_000 },
      { type: 'aggregate_change', scope: 'readiness', from: HEALTHY, to: UNHEALTHY, at: 1_000 },
    ]);
  });

  it('is UNHEALTHY before the first results (critical components are UNKNOWN) and turns HEALTHY with them', async () => {
    h = await startHealth({ components: [{ name: 'db', check: () => true, initialDelayMs: 1_000 }] });
    expect(h.registry.get('db')?.status).toBe(HealthStatus.UNKNOWN);
    expect(h.registry.status('readiness')).toBe(UNHEALTHY);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(h.registry.status('readiness')).toBe(HEALTHY);
    expect(h.eventsOf('aggregate_change').filter((e) => e.scope === 'readiness').map((e) => [e.at, e.to])).toEqual([
      [0, UNHEALTHY],
      [1_000, HEALTHY],
    ]);
  });

  it('reports an empty group HEALTHY', async () => {
    h = await startHealth({});
    expect(h.registry.probe('startup')).toEqual({ scope: 'startup', status: HEALTHY, shuttingDown: false, components: [] });
  });
});

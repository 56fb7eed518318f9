import { describe, expect, it, jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { healthRegistrySource } from '../../libs/resilience/src/grpc-health/health-registry.source.js';
import { ServingStatus, servingStatusOf } from '../../libs/resilience/src/grpc-health/serving-status.js';
import type { HealthModuleOptions } from '../../libs/resilience/src/health/health-module.options.js';
import { HealthModule } from '../../libs/resilience/src/health/health.module.js';
import { HealthRegistry } from '../../libs/resilience/src/health/health.registry.js';
import { HealthStatus, type HealthScope } from '../../libs/resilience/src/health/health-status.js';
import { type HealthHarness, quiet, scriptedCheck, startHealth, useFakeTimedHarnesses } from './support/harness.js';
import { RecordingLogger } from './support/recording-logger.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;
const SCOPES: readonly HealthScope[] = ['system', 'liveness', 'readiness', 'startup'];

/** A compiled module whose hooks have not run yet (the registry exists, nothing was collected or checked). */
async function compiled(options: HealthModuleOptions) {
  const module = await Test.createTestingModule({ imports: [HealthModule.forRoot({ ...quiet, ...options })] })
    .setLogger(new RecordingLogger())
    .compile();
  return { module, registry: module.get(HealthRegistry) };
}

/** What grpc.health.v1 would publish right now (the gRPC module reads the registry through this source). */
function published(registry: HealthRegistry): Record<string, string> {
  const entries = [...healthRegistrySource(registry, { components: true }).current()];
  return Object.fromEntries(entries.map(([service, status]) => [service, ServingStatus[servingStatusOf(status)]]));
}

describe('system health and probe groups', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

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

  describe('before the first results', () => {
    it('reports every scope UNKNOWN until bootstrap, so gRPC health never starts SERVING', async () => {
      const { module, registry } = await compiled({ components: [{ name: 'db', check: () => true }] });
      try {
        expect(SCOPES.map((scope) => registry.status(scope))).toEqual([UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
        expect(registry.probe('readiness').status).toBe(UNKNOWN);
        expect(Object.values(published(registry))).not.toContain('SERVING');
        // Components collected at init do not make the scopes optimistic either.
        await module.get(HealthRegistry).onModuleInit();
        expect(published(registry)).toEqual({ '': 'UNKNOWN', liveness: 'UNKNOWN', readiness: 'UNKNOWN', startup: 'UNKNOWN', db: 'UNKNOWN' });
      } finally {
        await module.close();
      }
    });

    it('fails readiness between bootstrap and the first check of a critical component (NOT_SERVING over gRPC)', async () => {
      const check = scriptedCheck(true);
      h = await startHealth({ components: [{ name: 'db', check: check.fn, initialDelayMs: 5_000 }] });
      expect(check.calls()).toBe(0);
      expect(h.registry.status('readiness')).toBe(UNHEALTHY);
      expect(published(h.registry)).toMatchObject({ '': 'NOT_SERVING', readiness: 'NOT_SERVING', db: 'UNKNOWN' });
      // The scopes started UNKNOWN and were computed at bootstrap: never HEALTHY on the way.
      expect(h.eventsOf('aggregate_change').map((e) => [e.scope, e.from, e.to])).toEqual([
        ['system', UNKNOWN, UNHEALTHY],
        ['liveness', UNKNOWN, HEALTHY],
        ['readiness', UNKNOWN, UNHEALTHY],
        ['startup', UNKNOWN, HEALTHY],
      ]);
      await jest.advanceTimersByTimeAsync(5_000);
      expect(published(h.registry)).toMatchObject({ '': 'SERVING', readiness: 'SERVING', db: 'SERVING' });
    });

    it('only degrades readiness when no unchecked component is critical', async () => {
      h = await startHealth({ components: [{ name: 'cache', critical: false, check: () => true, initialDelayMs: 5_000 }] });
      expect(h.registry.status('readiness')).toBe(DEGRADED);
      expect(h.registry.get('cache')?.status).toBe(UNKNOWN);
    });
  });

  it('updates the aggregates at once when a component is registered or unregistered at run time', async () => {
    await start();
    expect(h!.registry.status('readiness')).toBe(HEALTHY);
    h!.registry.register({ name: 'late', check: () => false, initialDelayMs: 60_000 });
    expect([h!.registry.status('readiness'), h!.registry.status('system')]).toEqual([UNHEALTHY, UNHEALTHY]); // UNKNOWN and critical
    h!.registry.unregister('late');
    expect([h!.registry.status('readiness'), h!.registry.status('system')]).toEqual([HEALTHY, HEALTHY]);

    h!.registry.register({ name: 'flaky', critical: false, probes: ['startup'], check: () => false, failureThreshold: 1 });
    await jest.advanceTimersByTimeAsync(0);
    expect([h!.registry.status('startup'), h!.registry.status('system')]).toEqual([DEGRADED, DEGRADED]);
    h!.registry.unregister('flaky');
    expect([h!.registry.status('startup'), h!.registry.status('system')]).toEqual([HEALTHY, HEALTHY]);
    expect(
      h!.eventsOf('aggregate_change')
        .filter((e) => e.scope === 'startup')
        .map((e) => [e.from, e.to]),
    ).toEqual([
      [UNKNOWN, UNHEALTHY], // bootstrap: warmup not checked yet
      [UNHEALTHY, HEALTHY],
      [HEALTHY, DEGRADED],
      [DEGRADED, HEALTHY],
    ]);
  });

  it('reports an empty group HEALTHY', async () => {
    h = await startHealth({});
    expect(h.registry.probe('startup')).toEqual({ scope: 'startup', status: HEALTHY, shuttingDown: false, components: [] });
  });
});

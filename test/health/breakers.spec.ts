import { describe, expect, it, jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { BreakerRegistry } from '../../libs/resilience/src/breaker/breaker.registry.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { ResilienceModule } from '../../libs/resilience/src/resilience.module.js';
import { type HealthHarness, startHealth, useFakeTimedHarnesses } from './support/harness.js';

const { HEALTHY, DEGRADED, UNKNOWN } = HealthStatus;

describe('circuit breakers as health components', () => {
  let h: HealthHarness | undefined;
  useFakeTimedHarnesses();

  async function withBreakers(options: Parameters<typeof startHealth>[0] = {}) {
    h = await startHealth(options, { imports: [ResilienceModule.forRoot()] });
    return h.module.get(BreakerRegistry);
  }

  it('adds every breaker as a non-critical readiness component of type breaker, HEALTHY while CLOSED', async () => {
    const breakers = await withBreakers();
    breakers.getOrCreate('payments');
    expect(h!.registry.get('breaker:payments')).toMatchObject({
      type: 'breaker',
      critical: false,
      probes: ['readiness'],
      status: HEALTHY,
      details: { name: 'payments', state: 'CLOSED' },
    });
  });

  it('turns DEGRADED when the breaker opens, driven by its state_change event, and HEALTHY when it closes', async () => {
    const breakers = await withBreakers();
    const breaker = breakers.getOrCreate('db', { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000 });
    const fail = () => breaker.execute(() => Promise.reject(new Error('ECONNREFUSED'))).catch(() => undefined);
    await fail();
    await fail();
    expect(h!.registry.get('breaker:db')).toMatchObject({ status: DEGRADED, details: { state: 'OPEN' } });
    expect(h!.eventsOf('status_change').at(-1)).toMatchObject({
      component: 'breaker:db',
      from: HEALTHY,
      to: DEGRADED,
      reason: expect.stringMatching(/^breaker CLOSED → OPEN: /),
    });
    // One open breaker degrades the instance; it never takes it out of rotation.
    expect(h!.registry.status('readiness')).toBe(DEGRADED);
    expect(h!.registry.status('system')).toBe(DEGRADED);
    expect(h!.registry.status('liveness')).toBe(HEALTHY);

    await jest.advanceTimersByTimeAsync(10_000);
    await breaker.execute(() => 'ok'); // the half-open probe succeeds
    expect(h!.registry.get('breaker:db')?.status).toBe(HEALTHY);
    expect(h!.eventsOf('status_change').filter((e) => e.component === 'breaker:db').map((e) => e.to)).toEqual([
      DEGRADED,
      HEALTHY,
    ]);
  });

  it('maps FORCED_OPEN to DEGRADED and DISABLED back to HEALTHY', async () => {
    const breakers = await withBreakers();
    breakers.getOrCreate('search');
    breakers.forceOpen('search', 'maintenance');
    expect(h!.registry.get('breaker:search')?.status).toBe(DEGRADED);
    breakers.disable('search', 'bypass');
    expect(h!.registry.get('breaker:search')?.status).toBe(HEALTHY);
  });

  @Injectable()
  class EarlyClient {
    constructor(breakers: BreakerRegistry) {
      breakers.getOrCreate('early');
    }
  }

  it('includes breakers created before bootstrap and after it', async () => {
    h = await startHealth({}, { imports: [ResilienceModule.forRoot()], providers: [EarlyClient] });
    h.module.get(BreakerRegistry).getOrCreate('late');
    expect(h.registry.components().map((c) => c.name)).toEqual(['breaker:early', 'breaker:late']);
    expect(h.eventsOf('component_registered').map((e) => [e.component, e.status])).toEqual([
      ['breaker:early', HEALTHY],
      ['breaker:late', HEALTHY],
    ]);
    // Registered with their breaker's status: no UNKNOWN flicker. The scopes go straight from
    // "not started" to HEALTHY at bootstrap, and the late breaker changes none of them.
    expect(h.eventsOf('status_change')).toEqual([]);
    expect(h.eventsOf('aggregate_change').map((e) => [e.scope, e.from, e.to])).toEqual([
      ['system', UNKNOWN, HEALTHY],
      ['liveness', UNKNOWN, HEALTHY],
      ['readiness', UNKNOWN, HEALTHY],
      ['startup', UNKNOWN, HEALTHY],
    ]);
    // The late breaker's state changes are followed too.
    h.module.get(BreakerRegistry).forceOpen('late', 'maintenance');
    expect(h.registry.get('breaker:late')!.status).toBe(DEGRADED);
  });

  it('fails bootstrap when a breaker component would take an existing component name', async () => {
    await expect(
      startHealth(
        { components: [{ name: 'breaker:early', check: () => true }] },
        { imports: [ResilienceModule.forRoot()], providers: [EarlyClient] },
      ),
    ).rejects.toThrow('Health component "breaker:early": option "name" must be unique');
  });

  it('follows the breakers options: probes, criticality, name prefix, or off', async () => {
    const breakers = await withBreakers({ breakers: { probes: ['startup'], critical: true, namePrefix: 'cb/' } });
    breakers.getOrCreate('db');
    breakers.forceOpen('db', 'test');
    expect(h!.registry.get('cb/db')).toMatchObject({ probes: ['startup'], critical: true, status: DEGRADED });
    await h!.close();
    h = undefined;
    const off = await withBreakers({ breakers: { enabled: false } });
    off.getOrCreate('db');
    expect(h!.registry.components()).toEqual([]);
  });

  it('works without ResilienceModule (BreakerRegistry is optional)', async () => {
    h = await startHealth({ components: [{ name: 'a', check: () => true }] });
    await jest.advanceTimersByTimeAsync(0);
    expect(h.registry.components().map((c) => c.name)).toEqual(['a']);
  });
});

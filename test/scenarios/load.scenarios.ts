import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CircuitBreaker, CircuitBreakerOpenError, CircuitState } from '@engined/resilience';
import { HealthStatus } from '@engined/resilience/health';
import { FlakyService, ServiceUnavailableError } from './support/fakes.js';
import { type Scenario, startScenario } from './support/scenario-app.js';

const { CLOSED, OPEN } = CircuitState;

/** Quotes prices from the pricing downstream; two breakers that differ only in their trip rate. */
@Injectable()
class PricingClient {
  constructor(private readonly pricing: FlakyService) {}

  @CircuitBreaker({ name: 'pricing', window: { kind: 'count', size: 20 }, minimumCalls: 10, failureRateThreshold: 60 })
  async quote(sku: string): Promise<string> {
    return this.pricing.call(sku);
  }

  @CircuitBreaker({ name: 'pricing-strict', window: { kind: 'count', size: 20 }, minimumCalls: 10, failureRateThreshold: 50 })
  async quoteStrict(sku: string): Promise<string> {
    return this.pricing.call(sku);
  }
}

/** Fails every other request (even numbers): a steady 50 % failure rate. */
@Injectable()
class HalfBrokenPricing extends FlakyService {
  override async call(request: string): Promise<string> {
    this.calls++;
    if (this.calls % 2 === 0) throw new ServiceUnavailableError(`request ${this.calls} failed`);
    return `ok:${request}`;
  }
}

describe('load (original: TestLoadScenarios)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('test_high_frequency_requests: 100 concurrent requests are all answered and the breaker stays CLOSED throughout', async () => {
    s = await startScenario({ providers: [FlakyService, PricingClient] });
    const pricing = s.get(FlakyService);
    const client = s.get(PricingClient);

    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.quote(`sku-${i}`)));

    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => `ok:sku-${i}`));
    expect(pricing.maxInFlight).toBe(100); // really concurrent, not one after another
    expect(s.breakerEvents.filter((e) => e.breaker === 'pricing').map((e) => e.type)).toEqual(Array(100).fill('success'));
    expect(s.breakers.get('pricing')!.metrics()).toMatchObject({
      state: CLOSED,
      calls: { successful: 100, failed: 0, notPermitted: 0 },
      failureRate: 0,
      inFlight: 0,
      transitions: 0,
    });
    // Health saw the breaker closed the whole time: no status change after registration.
    expect(s.registry.get('breaker:pricing')!.status).toBe(HealthStatus.HEALTHY);
    expect(s.statusChanges('breaker:pricing')).toEqual([]);
  });

  it('test_load_with_partial_failures: a steady 50 % failure rate stays below the 60 % trip rate: CLOSED throughout, 50 successes recorded', async () => {
    s = await startScenario({
      health: false,
      providers: [{ provide: FlakyService, useClass: HalfBrokenPricing }, PricingClient],
    });
    const client = s.get(PricingClient);
    const lenient = s.breakers.get('pricing')!;

    const outcomes: PromiseSettledResult<string>[] = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(...(await Promise.allSettled([client.quote(`sku-${i}`)])));
      expect(lenient.state).toBe(CLOSED);
    }
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(50);
    expect(failures).toHaveLength(50);
    expect(failures.every((f) => f.reason instanceof ServiceUnavailableError)).toBe(true); // none rejected by the breaker
    expect(lenient.metrics()).toMatchObject({
      state: CLOSED,
      calls: { successful: 50, failed: 50, notPermitted: 0 },
      failureRate: 50,
      bufferedCalls: 20,
      transitions: 0,
    });

    // The trip condition is real: the same load against a 50 % threshold opens as soon as
    // minimumCalls (10) are recorded, and the 90 calls after that are rejected.
    const strict = s.breakers.get('pricing-strict')!;
    const strictOutcomes: PromiseSettledResult<string>[] = [];
    for (let i = 0; i < 100; i++) strictOutcomes.push(...(await Promise.allSettled([client.quoteStrict(`sku-${i}`)])));
    expect(s.transitions('pricing-strict').map(([, from, to]) => [from, to])).toEqual([[CLOSED, OPEN]]);
    expect(strict.metrics().calls).toMatchObject({ successful: 5, failed: 5, notPermitted: 90 });
    expect(
      strictOutcomes.slice(10).every((o) => o.status === 'rejected' && o.reason instanceof CircuitBreakerOpenError),
    ).toBe(true);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import {
  CircuitBreaker,
  CircuitBreakerOpenError,
  CircuitBreakerTimeoutError,
  CircuitState,
  isCircuitBreakerOpenError,
} from '@engined/resilience';
import { FlakyService } from './support/fakes.js';
import { rejectionOf, type Scenario, startScenario, track } from './support/scenario-app.js';

const { CLOSED, OPEN } = CircuitState;

/** The client under test: every lookup goes to the downstream through a breaker with a 1 s timeout. */
@Injectable()
class InventoryClient {
  constructor(private readonly downstream: FlakyService) {}

  @CircuitBreaker({ name: 'inventory', window: { kind: 'consecutive', failures: 3 }, timeoutMs: 1_000, openDurationMs: 30_000 })
  async lookup(sku: string): Promise<string> {
    return this.downstream.call(sku);
  }
}

describe('network timeouts (original: TestNetworkTimeoutScenarios)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    s?.get(FlakyService).releaseHanging();
    await s?.close();
    s = undefined;
  });

  const boot = async () => {
    const scenario = await startScenario({ health: false, providers: [FlakyService, InventoryClient] });
    s = scenario;
    return { scenario, client: scenario.get(InventoryClient), downstream: scenario.get(FlakyService), breaker: scenario.breakers.get('inventory')! };
  };

  it('test_timeout_handling: opens after exactly 3 consecutive timeouts; the 4th call is rejected with CircuitBreakerOpenError and never reaches the service', async () => {
    const { scenario, client, downstream, breaker } = await boot();
    downstream.mode = 'hang';

    for (let n = 1; n <= 3; n++) {
      const call = track(client.lookup(`sku-${n}`));
      await scenario.clock.advanceAsync(999);
      expect(call.settled).toBe(false); // 1 ms before its deadline, the call is still waiting
      await scenario.clock.advanceAsync(1);
      const outcome = await call.result;
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as CircuitBreakerTimeoutError;
      expect(error).toBeInstanceOf(CircuitBreakerTimeoutError);
      expect(error).toMatchObject({ breaker: 'inventory', timeoutMs: 1_000 });
      expect(breaker.state).toBe(n < 3 ? CLOSED : OPEN);
    }
    expect(scenario.transitions('inventory')).toEqual([[3_000, CLOSED, OPEN]]);

    const rejected = await rejectionOf(client.lookup('sku-4'));
    expect(rejected).toBeInstanceOf(CircuitBreakerOpenError);
    expect(isCircuitBreakerOpenError(rejected)).toBe(true);
    expect(rejected).toMatchObject({ breaker: 'inventory', state: OPEN, retryAfterMs: 30_000 });
    expect(downstream.calls).toBe(3); // the rejected call never reached the service

    // The hung calls answering late changes nothing: they were already counted as timeouts.
    expect(downstream.releaseHanging()).toBe(3);
    await scenario.clock.advanceAsync(0);
    expect(breaker.metrics()).toMatchObject({
      state: OPEN,
      calls: { successful: 0, failed: 3, timedOut: 3, notPermitted: 1, ignored: 0 },
      inFlight: 0,
      transitions: 1,
    });
  });

  it('test_concurrent_timeout_handling: 5 concurrent calls timing out together (Promise.allSettled) open the breaker once, with consistent counts', async () => {
    const { scenario, client, downstream, breaker } = await boot();
    downstream.mode = 'hang';

    const calls = Promise.allSettled(Array.from({ length: 5 }, (_, i) => client.lookup(`sku-${i}`)));
    expect(downstream.maxInFlight).toBe(5); // all five were admitted and are in flight together
    await scenario.clock.advanceAsync(1_000);
    const outcomes = await calls;

    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('rejected'));
    for (const outcome of outcomes) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CircuitBreakerTimeoutError);
    // The 3rd timeout trips it; the 4th and 5th belong to the closed period and move nothing.
    expect(scenario.transitions('inventory')).toEqual([[1_000, CLOSED, OPEN]]);
    expect(breaker.metrics()).toMatchObject({
      state: OPEN,
      calls: { failed: 5, timedOut: 5, notPermitted: 0 },
      inFlight: 0,
      transitions: 1,
      consecutiveTrips: 1,
    });

    expect(await rejectionOf(client.lookup('after'))).toBeInstanceOf(CircuitBreakerOpenError);
    expect(downstream.calls).toBe(5);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable } from '@nestjs/common';
import { type Clock, RESILIENCE_CLOCK } from '@engined/resilience';
import { HealComponent, HealState, HealthComponent, HealthStatus } from '@engined/resilience/health';
import { FlakyService } from './support/fakes.js';
import { type Scenario, startScenario } from './support/scenario-app.js';

const { HEALTHY, DEGRADED, UNHEALTHY, UNKNOWN } = HealthStatus;

const paymentsComponent = {
  name: 'payments',
  type: 'grpc',
  intervalMs: 1_000,
  failureThreshold: 2,
  successThreshold: 2,
} as const;

/** Pings the payments downstream: HEALTHY when fast, DEGRADED when slower than 500 ms; throwing (down) is UNHEALTHY. */
async function ping(payments: FlakyService, clock: Clock) {
  const started = clock.now();
  await payments.call('ping');
  const tookMs = clock.now() - started;
  return tookMs > 500 ? { status: DEGRADED, message: `ping took ${tookMs} ms` } : HEALTHY;
}

/** The payments downstream as a health component: its check pings it, its heal restarts it. */
@Injectable()
class PaymentsHealth {
  constructor(
    private readonly payments: FlakyService,
    @Inject(RESILIENCE_CLOCK) private readonly clock: Clock,
  ) {}

  // Throwing is enough to report UNHEALTHY and get healed (the original had to return UNHEALTHY by hand).
  @HealthComponent({ ...paymentsComponent, healing: { backoff: { minMs: 1_000, factor: 2, jitter: 0 } } })
  check() {
    return ping(this.payments, this.clock);
  }

  @HealComponent('payments')
  restart() {
    this.payments.restart();
  }
}

/** The same component without a heal: the service recovers (or not) on its own. */
@Injectable()
class UnhealedPaymentsHealth {
  constructor(
    private readonly payments: FlakyService,
    @Inject(RESILIENCE_CLOCK) private readonly clock: Clock,
  ) {}

  @HealthComponent(paymentsComponent)
  check() {
    return ping(this.payments, this.clock);
  }
}

describe('service unavailability (original: TestServiceUnavailability)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('test_service_unavailable_with_auto_healing: UNHEALTHY after exactly 2 failed checks, healed by restart; every attempt counted', async () => {
    s = await startScenario({ providers: [FlakyService, PaymentsHealth] });
    const payments = s.get(FlakyService);
    payments.failingRestarts = 1; // the first restart fails: the service is still booting

    await s.clock.advanceAsync(0);
    expect(s.registry.get('payments')!.status).toBe(HEALTHY);

    payments.mode = 'down';
    await s.clock.advanceTo(1_000);
    expect(s.registry.get('payments')).toMatchObject({ status: HEALTHY, consecutiveFailures: 1 }); // one failure is not enough
    await s.clock.advanceTo(2_000); // second failure: UNHEALTHY, the heal runs at once and fails
    expect(s.registry.get('payments')).toMatchObject({
      status: UNHEALTHY,
      heal: { state: HealState.BACKOFF, attempts: 1, lastResult: 'failure', nextAttemptAt: 3_000 },
    });
    expect(s.registry.status('readiness')).toBe(UNHEALTHY);

    await s.clock.advanceTo(3_000); // after the 1 s backoff the second restart works and the re-check verifies it
    expect(s.healAttempts('payments')).toEqual([
      [2_000, 1, 'failure'],
      [3_000, 2, 'success'],
    ]);
    expect(s.eventsOf('heal_attempt').filter((e) => e.result !== 'skipped').map((e) => [e.verified, e.message])).toEqual([
      [false, 'restart failed: still booting'],
      [true, undefined],
    ]);
    expect(payments.restarts).toBe(2);
    // The verified heal does not bypass hysteresis: with successThreshold 2 it takes one more passing check.
    expect(s.registry.get('payments')).toMatchObject({
      status: UNHEALTHY,
      consecutiveSuccesses: 1,
      heal: { state: HealState.IDLE, attempts: 2, lastResult: 'success', lastAttemptAt: 3_000 },
    });
    await s.clock.advanceTo(4_000);
    expect(s.registry.get('payments')).toMatchObject({ status: HEALTHY, heal: { state: HealState.IDLE, attempts: 2 } });
    expect(s.statusChanges('payments')).toEqual([
      [0, UNKNOWN, HEALTHY],
      [2_000, HEALTHY, UNHEALTHY],
      [4_000, UNHEALTHY, HEALTHY],
    ]);
    expect(s.registry.history('payments').heals.map((h) => [h.attempt, h.result])).toEqual([
      [1, 'failure'],
      [2, 'success'],
    ]);
    expect(s.registry.status('readiness')).toBe(HEALTHY);
  });

  it('test_service_degradation_recovery: HEALTHY → DEGRADED (slow) → UNHEALTHY (down) → HEALTHY (back), with hysteresis both ways', async () => {
    s = await startScenario({ providers: [FlakyService, UnhealedPaymentsHealth] });
    const payments = s.get(FlakyService);
    await s.clock.advanceAsync(0); // first check (at 0): fast
    payments.mode = 'slow'; // answers in 800 ms
    await s.clock.advanceTo(1_800); // check 2 runs 1000..1800: slow → DEGRADED at once
    payments.mode = 'down';
    await s.clock.advanceTo(2_800); // check 3 fails: one failure keeps it DEGRADED
    expect(s.registry.get('payments')!.status).toBe(DEGRADED);
    await s.clock.advanceTo(3_800); // check 4 fails: UNHEALTHY
    payments.mode = 'up';
    await s.clock.advanceTo(4_800); // check 5 passes: one success keeps it UNHEALTHY (successThreshold 2)
    expect(s.registry.get('payments')!.status).toBe(UNHEALTHY);
    await s.clock.advanceTo(5_800); // check 6 passes: HEALTHY

    expect(s.statusChanges('payments')).toEqual([
      [0, UNKNOWN, HEALTHY],
      [1_800, HEALTHY, DEGRADED],
      [3_800, DEGRADED, UNHEALTHY],
      [5_800, UNHEALTHY, HEALTHY],
    ]);
    expect(s.registry.get('payments')!.heal).toBeUndefined();
    expect(s.registry.history('payments').checks.map((c) => [c.at, c.status])).toEqual([
      [0, HEALTHY],
      [1_800, DEGRADED],
      [2_800, UNHEALTHY],
      [3_800, UNHEALTHY],
      [4_800, HEALTHY],
      [5_800, HEALTHY],
    ]);
    // Readiness follows: degraded still serves, unhealthy does not.
    expect(s.aggregateChanges('readiness').filter(([at]) => at > 0)).toEqual([
      [1_800, HEALTHY, DEGRADED],
      [3_800, DEGRADED, UNHEALTHY],
      [5_800, UNHEALTHY, HEALTHY],
    ]);
  });
});

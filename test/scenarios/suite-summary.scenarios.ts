import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { CircuitBreaker, CircuitState } from '@engined/resilience';
import { HealComponent, HealState, HealthComponent, HealthStatus, PROBE_GROUPS } from '@engined/resilience/health';
import { MetricsService } from '@engined/resilience/metrics';
import { parse, valueOf } from '../metrics/scrape.js';
import { ConnectionLostError, FakeDatabase, FlakyService } from './support/fakes.js';
import { rejectionOf, type Scenario, startScenario } from './support/scenario-app.js';

const { HEALTHY, UNHEALTHY } = HealthStatus;

@Injectable()
class Database extends FakeDatabase {
  @HealthComponent({ name: 'database', type: 'database', intervalMs: 2_000, failureThreshold: 2, healing: { backoff: { minMs: 1_000, jitter: 0 } } })
  async ping() {
    await this.query('1');
  }

  @HealComponent('database')
  async reconnect() {
    await this.connect();
  }
}

@Injectable()
class PaymentsHealth {
  constructor(private readonly payments: FlakyService) {}

  @HealthComponent({ name: 'payments', type: 'grpc', intervalMs: 2_000, failureThreshold: 2, healing: { backoff: { minMs: 1_000, jitter: 0 } } })
  async check() {
    await this.payments.call('ping');
  }

  @HealComponent('payments')
  restart() {
    this.payments.restart();
  }
}

@Injectable()
class CheckoutService {
  constructor(
    private readonly db: Database,
    private readonly payments: FlakyService,
  ) {}

  @CircuitBreaker({ name: 'orders-db', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000, recordErrors: [ConnectionLostError] })
  async order(id: string): Promise<string> {
    return this.db.query(id);
  }

  @CircuitBreaker({ name: 'payments', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000 })
  async charge(id: string): Promise<string> {
    return this.payments.call(id);
  }
}

describe('suite summary (original: test_integration_suite_summary)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('test_integration_suite_summary: after a database and a payments outage and their recovery, every component and every scope is HEALTHY', async () => {
    s = await startScenario({
      providers: [Database, FlakyService, PaymentsHealth, CheckoutService],
      metrics: { defaultMetrics: false, path: false, grpcInterceptor: false },
      health: {
        components: [{ name: 'event-loop', type: 'internal', probes: ['liveness'], check: () => true }],
      },
    });
    const db = s.get(Database);
    const payments = s.get(FlakyService);
    const checkout = s.get(CheckoutService);
    await s.clock.advanceAsync(0);

    // Outage: both dependencies fail; both breakers open, both components turn UNHEALTHY and are healed.
    db.kill();
    payments.mode = 'down';
    for (let n = 0; n < 2; n++) {
      await rejectionOf(checkout.order('1'));
      await rejectionOf(checkout.charge('1'));
    }
    expect([s.breakers.get('orders-db')!.state, s.breakers.get('payments')!.state]).toEqual([CircuitState.OPEN, CircuitState.OPEN]);
    await s.clock.advanceTo(2_000);
    db.restore();
    await s.clock.advanceTo(4_000); // second failed check: UNHEALTHY, then both heals succeed at once
    expect(s.statusChanges('database').map(([at, , to]) => [at, to])).toEqual([
      [0, HEALTHY],
      [4_000, UNHEALTHY],
      [4_000, HEALTHY],
    ]);
    expect(s.healAttempts('payments')).toEqual([[4_000, 1, 'success']]);

    // Recovery: after the open duration, a successful call through each breaker closes it.
    await s.clock.advanceTo(10_000);
    expect(await checkout.order('2')).toBe('grinder');
    expect(await checkout.charge('2')).toBe('ok:2');

    // Fresh results for every component (no waiting for a cycle), then the system-wide view.
    await s.registry.runNow();
    const system = s.registry.system();
    expect(system.status).toBe(HEALTHY);
    expect(system.components.map((c) => [c.name, c.status])).toEqual([
      ['event-loop', HEALTHY],
      ['database', HEALTHY],
      ['payments', HEALTHY],
      ['breaker:orders-db', HEALTHY],
      ['breaker:payments', HEALTHY],
    ]);
    expect(system.components.every((c) => !c.stale && c.escalation === 'none')).toBe(true);
    expect(system.components.filter((c) => c.heal).map((c) => c.heal!.state)).toEqual([HealState.IDLE, HealState.IDLE]);
    for (const group of PROBE_GROUPS) expect(s.registry.status(group)).toBe(HEALTHY);
    expect(s.registry.probe('liveness').components.map((c) => c.name)).toEqual(['event-loop']);

    const samples = parse(await s.get(MetricsService).metrics());
    for (const scope of ['system', ...PROBE_GROUPS]) {
      expect(valueOf(samples, 'health_status', { scope, status: 'HEALTHY' })).toBe(1);
    }
    expect(samples.filter((x) => x.name === 'circuit_breaker_state' && x.labels.state === 'CLOSED' && x.value === 1)).toHaveLength(2);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable } from '@nestjs/common';
import { CircuitBreaker, type Clock, CircuitState, RESILIENCE_CLOCK } from '@engined/resilience';
import { HealComponent, HealthComponent } from '@engined/resilience/health';
import { MetricsService } from '@engined/resilience/metrics';
import { parse, type Sample, valueOf } from '../metrics/scrape.js';
import { FakeDatabase, FlakyService } from './support/fakes.js';
import { rejectionOf, type Scenario, startScenario } from './support/scenario-app.js';

const { CLOSED, OPEN, HALF_OPEN } = CircuitState;

/** Metrics without the Node.js process metrics (not under test here) and without an HTTP route: read through MetricsService. */
const metricsOptions = { defaultMetrics: false, path: false, grpcInterceptor: false } as const;

async function scrape(s: Scenario): Promise<Sample[]> {
  return parse(await s.get(MetricsService).metrics());
}

/** States whose `circuit_breaker_state` gauge of the catalog breaker is 1. */
const states = (samples: Sample[]) =>
  Object.values(CircuitState).filter((state) => valueOf(samples, 'circuit_breaker_state', { name: 'catalog', state }) === 1);
const calls = (samples: Sample[], outcome: string) => valueOf(samples, 'circuit_breaker_calls_total', { name: 'catalog', outcome });
const moved = (samples: Sample[], from: CircuitState, to: CircuitState) =>
  valueOf(samples, 'circuit_breaker_transitions_total', { name: 'catalog', from, to });

@Injectable()
class CatalogClient {
  constructor(private readonly catalog: FlakyService) {}

  @CircuitBreaker({ name: 'catalog', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000 })
  async item(sku: string): Promise<string> {
    return this.catalog.call(sku);
  }
}

@Injectable()
class Database extends FakeDatabase {
  @HealthComponent({ name: 'database', type: 'database', intervalMs: 1_000, failureThreshold: 1, healing: { backoff: { jitter: 0 } } })
  async ping() {
    await this.query('1');
  }

  @HealComponent('database')
  async reconnect() {
    await this.connect();
  }
}

/** A non-critical cache whose check takes 250 ms of clock time. */
@Injectable()
class CacheHealth {
  checkStarts: number[] = [];
  constructor(@Inject(RESILIENCE_CLOCK) private readonly clock: Clock) {}

  @HealthComponent({ name: 'cache', type: 'cache', critical: false, intervalMs: 1_000 })
  check() {
    this.checkStarts.push(this.clock.now());
    return new Promise<void>((resolve) => this.clock.setTimeout(resolve, 250));
  }
}

describe('metrics (original: TestMetricsValidation)', () => {
  let s: Scenario | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('test_metrics_collection: one scrape carries breaker, health and healing metrics of every component, with exact values', async () => {
    s = await startScenario({ providers: [FlakyService, CatalogClient, Database, CacheHealth], metrics: metricsOptions });
    const catalog = s.get(FlakyService);
    const client = s.get(CatalogClient);
    const db = s.get(Database);

    await s.clock.advanceTo(250); // first checks: database at 0, cache 0..250
    for (const sku of ['a', 'b', 'c']) await client.item(sku);
    catalog.mode = 'down';
    await rejectionOf(client.item('d'));
    db.kill();
    db.restore();
    await s.clock.advanceTo(1_000); // database check fails → UNHEALTHY → reconnect heals it, verified by a re-check

    const samples = await scrape(s);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'catalog', state: 'CLOSED' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'catalog', outcome: 'successful' })).toBe(3);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'catalog', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'catalog', outcome: 'not_permitted' })).toBe(0);
    for (const [component, type] of [
      ['database', 'database'],
      ['cache', 'cache'],
      ['breaker:catalog', 'breaker'],
    ]) {
      expect(valueOf(samples, 'health_component_status', { component, type, status: 'HEALTHY' })).toBe(1);
      expect(valueOf(samples, 'health_component_status', { component, type, status: 'UNHEALTHY' })).toBe(0);
    }
    expect(valueOf(samples, 'health_status', { scope: 'system', status: 'HEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'database' })).toBe(3); // 0, 1000, re-check
    expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'cache' })).toBe(1);
    expect(valueOf(samples, 'health_heal_attempts_total', { component: 'database', result: 'success' })).toBe(1);
    // The exporter and the registry tell the same story.
    expect(s.registry.history('database').checks).toHaveLength(3);
    expect(s.breakers.get('catalog')!.metrics().calls).toMatchObject({ successful: 3, failed: 1 });
  });

  it('test_circuit_breaker_metrics: the state gauge and the call and transition counters move on each transition, in step with breaker.metrics()', async () => {
    s = await startScenario({ health: false, providers: [FlakyService, CatalogClient], metrics: metricsOptions });
    const catalog = s.get(FlakyService);
    const client = s.get(CatalogClient);
    const breaker = s.breakers.get('catalog')!;

    let samples = await scrape(s);
    expect(states(samples)).toEqual([CLOSED]);
    expect(calls(samples, 'failed')).toBe(0);

    catalog.mode = 'down';
    await rejectionOf(client.item('x'));
    samples = await scrape(s);
    expect([states(samples), calls(samples, 'failed')]).toEqual([[CLOSED], 1]);

    await rejectionOf(client.item('y')); // 2nd consecutive failure: OPEN
    samples = await scrape(s);
    expect([states(samples), calls(samples, 'failed'), moved(samples, CLOSED, OPEN)]).toEqual([[OPEN], 2, 1]);

    await rejectionOf(client.item('z')); // rejected
    samples = await scrape(s);
    expect(calls(samples, 'not_permitted')).toBe(1);

    await s.clock.advanceAsync(10_000);
    samples = await scrape(s); // the scrape reads the state, which half-opens it
    expect([states(samples), moved(samples, OPEN, HALF_OPEN)]).toEqual([[HALF_OPEN], 1]);

    await rejectionOf(client.item('probe-1')); // the probe fails: OPEN again
    samples = await scrape(s);
    expect([states(samples), calls(samples, 'failed'), moved(samples, HALF_OPEN, OPEN)]).toEqual([[OPEN], 3, 1]);

    catalog.mode = 'up';
    await s.clock.advanceAsync(10_000);
    await client.item('probe-2'); // the probe succeeds: CLOSED
    samples = await scrape(s);
    expect([states(samples), calls(samples, 'successful'), moved(samples, HALF_OPEN, CLOSED)]).toEqual([[CLOSED], 1, 1]);
    expect(moved(samples, OPEN, HALF_OPEN)).toBe(2);

    const m = breaker.metrics();
    expect(m.calls).toMatchObject({ successful: 1, failed: 3, notPermitted: 1 });
    expect([calls(samples, 'successful'), calls(samples, 'failed'), calls(samples, 'not_permitted')]).toEqual([
      m.calls.successful,
      m.calls.failed,
      m.calls.notPermitted,
    ]);
    const transitionsTotal = samples
      .filter((x) => x.name === 'circuit_breaker_transitions_total' && x.labels.name === 'catalog')
      .reduce((sum, x) => sum + x.value, 0);
    expect(transitionsTotal).toBe(m.transitions); // 5: CLOSED→OPEN→HALF_OPEN→OPEN→HALF_OPEN→CLOSED
    expect(m.transitions).toBe(5);
  });

  it('test_health_check_metrics_tracking: every check is counted once with its duration; the next starts intervalMs after the previous one finished', async () => {
    s = await startScenario({ providers: [CacheHealth], metrics: metricsOptions });
    const cache = s.get(CacheHealth);

    await s.clock.advanceTo(5_250); // five cycles of 250 ms check + 1 000 ms interval

    expect(cache.checkStarts).toEqual([0, 1_250, 2_500, 3_750, 5_000]);
    expect(s.registry.history('cache').checks.map((c) => [c.at, c.durationMs])).toEqual([
      [250, 250],
      [1_500, 250],
      [2_750, 250],
      [4_000, 250],
      [5_250, 250],
    ]);
    expect(s.registry.get('cache')).toMatchObject({ lastCheckedAt: 5_250, latencyMs: 250 });
    const samples = await scrape(s);
    expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'cache' })).toBe(5);
    expect(valueOf(samples, 'health_check_duration_seconds_sum', { component: 'cache' })).toBeCloseTo(1.25, 10);
    expect(valueOf(samples, 'health_check_duration_seconds_bucket', { component: 'cache', le: '0.1' })).toBe(0);
    expect(valueOf(samples, 'health_check_duration_seconds_bucket', { component: 'cache', le: '0.25' })).toBe(5);
  });
});

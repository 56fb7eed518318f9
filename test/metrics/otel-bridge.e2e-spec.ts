import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { BreakerRegistry, BulkheadRegistry, CircuitState, isInvalidOptionError, ResilienceModule, RetryRegistry } from '@engined/resilience';
import { HealthModule } from '@engined/resilience/health';
import { MetricsModule, MetricsService } from '@engined/resilience/metrics';
import { OpenTelemetryMetricsModule, type OpenTelemetryMetricsModuleOptions } from '@engined/resilience/otel';
import { FakeClock } from '@engined/resilience/testing';
import { FakeBreakers } from './fakes.js';
import { parse } from './scrape.js';

/** An OpenTelemetry SDK meter provider whose metrics the test reads on demand (an in-memory exporter, flushed by hand). */
class InMemoryOtel {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is never reached: the test flushes.
  readonly reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 2_000_000_000 });
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Collects now: every metric by name. */
  async collect(): Promise<Map<string, MetricData>> {
    this.exporter.reset();
    await this.reader.forceFlush();
    const byName = new Map<string, MetricData>();
    for (const resource of this.exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
    }
    return byName;
  }
}

/** The value of the data point of `name` whose attributes include `attributes`. */
function point(metrics: Map<string, MetricData>, name: string, attributes: Record<string, string>): unknown {
  const metric = metrics.get(name);
  if (metric === undefined) throw new Error(`no instrument ${name} (have ${[...metrics.keys()].join(', ')})`);
  const found = (metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]).filter((p) =>
    Object.entries(attributes).every(([key, value]) => p.attributes[key] === value),
  );
  if (found.length !== 1) throw new Error(`${found.length} points of ${name} match ${JSON.stringify(attributes)}`);
  return found[0]!.value;
}

const open: { otel: InMemoryOtel; module: TestingModule }[] = [];

afterEach(async () => {
  for (const { otel, module } of open.splice(0)) {
    await module.close();
    await otel.provider.shutdown();
  }
});

async function start(options: OpenTelemetryMetricsModuleOptions = {}, health = false) {
  const otel = new InMemoryOtel();
  const clock = new FakeClock();
  const imports = [
    ResilienceModule.forRoot({ clock }),
    OpenTelemetryMetricsModule.forRoot({ meterProvider: otel.provider, ...options }),
    // Beside it, the Prometheus metrics of the same app: the bridge reports the same instruments.
    MetricsModule.forRoot({ path: false, defaultMetrics: false, breakerCallDuration: options.breakerCallDuration }),
  ];
  if (health) {
    imports.push(
      HealthModule.forRoot({
        clock,
        startupGraceMs: 0,
        drainDelayMs: 0,
        http: { enabled: false },
        components: [
          { name: 'db', type: 'database', check: () => true, heal: () => undefined, intervalMs: 1_000 },
          // Fails and is healed once (the heal does not help); not critical, so readiness still passes.
          { name: 'queue', type: 'queue', critical: false, check: () => false, heal: () => undefined, failureThreshold: 1, intervalMs: 60_000 },
        ],
      }),
    );
  }
  const module = await Test.createTestingModule({ imports }).compile();
  await module.init();
  open.push({ otel, module });
  return { otel, module, clock, breakers: module.get(BreakerRegistry) };
}

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

describe('OpenTelemetryMetricsModule', () => {
  it('reports the breakers through an OpenTelemetry SDK: state, calls, window, transitions', async () => {
    const { otel, breakers } = await start();
    const db = breakers.getOrCreate('db', { window: { kind: 'consecutive', failures: 2 } });
    await db.execute(ok);
    await db.execute(boom).catch(() => undefined);
    await db.execute(boom).catch(() => undefined);
    await db.execute(ok).catch(() => undefined); // rejected: OPEN

    const metrics = await otel.collect();
    expect(point(metrics, 'circuit_breaker_state', { name: 'db', state: 'OPEN' })).toBe(1);
    expect(point(metrics, 'circuit_breaker_state', { name: 'db', state: 'CLOSED' })).toBe(0);
    expect(point(metrics, 'circuit_breaker_calls', { name: 'db', outcome: 'successful' })).toBe(1);
    expect(point(metrics, 'circuit_breaker_calls', { name: 'db', outcome: 'failed' })).toBe(2);
    expect(point(metrics, 'circuit_breaker_calls', { name: 'db', outcome: 'not_permitted' })).toBe(1);
    expect(point(metrics, 'circuit_breaker_slow_calls', { name: 'db' })).toBe(0);
    expect(point(metrics, 'circuit_breaker_failure_rate', { name: 'db' })).toBe(db.metrics().failureRate);
    expect(point(metrics, 'circuit_breaker_buffered_calls', { name: 'db' })).toBe(db.metrics().bufferedCalls);
    expect(point(metrics, 'circuit_breaker_transitions', { name: 'db', from: 'CLOSED', to: 'OPEN' })).toBe(1);
    expect(metrics.get('circuit_breaker_failure_rate')?.descriptor.unit).toBe('%');
    // Off by default, as in MetricsModule.
    expect(metrics.has('circuit_breaker_call_duration')).toBe(false);
  });

  it('times calls with the opt-in histogram, on the boundaries given, in seconds', async () => {
    const { otel, breakers, clock } = await start({ breakerCallDuration: { buckets: [0.01, 0.1] } });
    const db = breakers.getOrCreate('db');
    const call = db.execute(() => new Promise((resolve) => clock.setTimeout(() => resolve('late'), 50)));
    clock.advance(50);
    await call;
    const histogram = point(await otel.collect(), 'circuit_breaker_call_duration', { name: 'db', outcome: 'successful' }) as Histogram;
    expect(histogram.count).toBe(1);
    expect(histogram.sum).toBeCloseTo(0.05);
    expect(histogram.buckets).toEqual({ boundaries: [0.01, 0.1], counts: [0, 1, 0] });
  });

  it('reports health (statuses, time in each status, heal state, check durations, probe-group transitions), retries and bulkheads', async () => {
    const { otel, clock, module } = await start({}, true);
    await module.get(RetryRegistry).getOrCreate('quotes', { maxAttempts: 2 }).execute(ok);
    await module.get(BulkheadRegistry).getOrCreate('pool', { maxConcurrent: 2 }).execute(ok);
    clock.advance(0);
    await new Promise((resolve) => setImmediate(resolve)); // the first check settles
    clock.advance(2_000);
    const metrics = await otel.collect();
    expect(point(metrics, 'health_component_status', { component: 'db', status: 'HEALTHY' })).toBe(1);
    expect(point(metrics, 'health_status', { scope: 'readiness', status: 'DEGRADED' })).toBe(1);
    expect(point(metrics, 'health_component_heal_state', { component: 'db', state: 'IDLE' })).toBe(1);
    expect(point(metrics, 'health_component_status_seconds', { component: 'db', status: 'HEALTHY' })).toBe(2);
    expect((point(metrics, 'health_check_duration', { component: 'db' }) as Histogram).count).toBeGreaterThanOrEqual(1);
    expect(point(metrics, 'health_status_transitions', { scope: 'readiness', from: 'UNHEALTHY', to: 'DEGRADED' })).toBe(1);
    expect(point(metrics, 'health_heal_attempts', { component: 'queue', result: 'failure' })).toBe(1);
    expect(point(metrics, 'health_heal_attempts', { component: 'db', result: 'failure' })).toBe(0);
    expect(point(metrics, 'retry_calls', { name: 'quotes', outcome: 'success' })).toBe(1);
    expect(point(metrics, 'retry_attempts', { name: 'quotes' })).toBe(1);
    expect(point(metrics, 'bulkhead_calls', { name: 'pool', outcome: 'admitted' })).toBe(1);
    expect(point(metrics, 'bulkhead_max_concurrent_calls', { name: 'pool' })).toBe(2);

    // The same instruments as the Prometheus metrics: each name is a Prometheus one once its suffixes are added.
    const prometheus = new Set(parse(await module.get(MetricsService).metrics()).map((sample) => sample.name.replace(/_(bucket|sum|count)$/, '')));
    const missing = [...metrics.keys()].filter((name) => ![name, `${name}_total`, `${name}_seconds`, `${name}_seconds_total`].some((n) => prometheus.has(n)));
    expect(missing).toEqual([]);
    const bridged = [...prometheus].filter((name) => !name.startsWith('grpc_'));
    expect(bridged).toEqual(expect.arrayContaining(['health_component_status_seconds_total', 'retry_calls_total', 'bulkhead_calls_total']));
    expect(bridged.filter((name) => !metrics.has(name.replace(/(_seconds)?(_total)?$/, '')) && !metrics.has(name.replace(/_total$/, '')))).toEqual([]);
  });

  it('stops reading the breakers at app.close(): its callback is removed', async () => {
    const otel = new InMemoryOtel();
    const breakers = new FakeBreakers();
    breakers.add('db', CircuitState.CLOSED);
    let reads = 0;
    const list = breakers.list.bind(breakers);
    breakers.list = () => (reads++, list());
    const module = await Test.createTestingModule({ imports: [OpenTelemetryMetricsModule.forRoot({ meterProvider: otel.provider, breakers })] }).compile();
    await module.init();
    open.push({ otel, module });
    expect(point(await otel.collect(), 'circuit_breaker_state', { name: 'db', state: 'CLOSED' })).toBe(1);
    expect(reads).toBe(1);
    expect(breakers.stateChanges$.observed).toBe(true);
    await module.close();
    await otel.collect();
    expect(reads).toBe(1);
    expect(breakers.stateChanges$.observed).toBe(false);
  });

  it('rejects bad options at bootstrap, naming the option and the value', async () => {
    const attempts: [OpenTelemetryMetricsModuleOptions, string][] = [
      [{ meterProvider: {} as never }, 'option "meterProvider" must be an OpenTelemetry MeterProvider (with getMeter()), got {}'],
      [{ prefix: '9x' }, 'option "prefix" must be empty or match [A-Za-z][A-Za-z0-9_.-/]* (at most 63 characters), got "9x"'],
      [{ breakerCallDuration: 1 as never }, 'option "breakerCallDuration" must be a boolean or { buckets: number[] }, got 1'],
      [{ checkDurationBuckets: [] }, 'option "checkDurationBuckets" must be a non-empty array of increasing positive numbers, got []'],
    ];
    for (const [options, message] of attempts) {
      const error = await Test.createTestingModule({ imports: [OpenTelemetryMetricsModule.forRoot(options)] })
        .compile()
        .then(
          async (module) => {
            await module.close();
            return undefined;
          },
          (e: unknown) => e,
        );
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toBe(`OpenTelemetryMetricsModule: ${message}`);
    }
  });
});

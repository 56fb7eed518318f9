import { describe, expect, it, jest } from '@jest/globals';
import { BreakerRegistry, CircuitState, isInvalidOptionError, ResilienceModule } from '@engined/resilience';
import { MetricsModule, type MetricsModuleOptions, MetricsService } from '@engined/resilience/metrics';
import { FakeClock } from '@engined/resilience/testing';
import { Test } from '@nestjs/testing';
import { Subject } from 'rxjs';
import type { CircuitBreakerEvent } from '@engined/resilience';
import { scriptedCheck, startHealth, useFakeTimedHarnesses } from '../health/support/harness.js';
import { FakeBreakers, FakeHealth } from './fakes.js';
import { parse, type Sample, valueOf } from './scrape.js';

const quietMetrics: MetricsModuleOptions = { defaultMetrics: false, path: false };

async function samplesOf(metrics: MetricsService): Promise<Sample[]> {
  return parse(await metrics.metrics());
}

/** A ResilienceModule app on a FakeClock with MetricsModule; closed by the caller. */
async function startBreakers(metricsOptions: MetricsModuleOptions = {}) {
  const clock = new FakeClock();
  const module = await Test.createTestingModule({
    imports: [ResilienceModule.forRoot({ clock }), MetricsModule.forRoot({ ...quietMetrics, ...metricsOptions })],
  }).compile();
  await module.init();
  return { clock, module, registry: module.get(BreakerRegistry), metrics: module.get(MetricsService) };
}

const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

describe('breaker window metrics (read at scrape time)', () => {
  it('report the failure rate, slow-call rate, buffered calls and slow calls of real breakers', async () => {
    const { clock, module, registry, metrics } = await startBreakers();
    try {
      const db = registry.getOrCreate('db', {
        window: { kind: 'count', size: 10 },
        minimumCalls: 4,
        failureRateThreshold: 90,
        slowCallDurationMs: 100,
        slowCallRateThreshold: 100,
      });
      let samples = await samplesOf(metrics);
      // Below minimumCalls the rates are -1, as the breaker reports them.
      expect(valueOf(samples, 'circuit_breaker_failure_rate', { name: 'db' })).toBe(-1);
      expect(valueOf(samples, 'circuit_breaker_slow_call_rate', { name: 'db' })).toBe(-1);
      expect(valueOf(samples, 'circuit_breaker_buffered_calls', { name: 'db' })).toBe(0);
      expect(valueOf(samples, 'circuit_breaker_slow_calls_total', { name: 'db' })).toBe(0);

      const slow = () =>
        new Promise<string>((resolve) => {
          clock.setTimeout(() => resolve('late'), 150);
        });
      await db.execute(ok);
      await db.execute(boom).catch(() => undefined);
      const pending = db.execute(slow);
      clock.advance(150);
      await pending;
      await db.execute(ok);

      samples = await samplesOf(metrics);
      expect(valueOf(samples, 'circuit_breaker_failure_rate', { name: 'db' })).toBe(25);
      expect(valueOf(samples, 'circuit_breaker_slow_call_rate', { name: 'db' })).toBe(25);
      expect(valueOf(samples, 'circuit_breaker_buffered_calls', { name: 'db' })).toBe(4);
      expect(valueOf(samples, 'circuit_breaker_slow_calls_total', { name: 'db' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'successful' })).toBe(3);
      // Off by default: no histogram.
      expect(samples.some((sample) => sample.name.startsWith('circuit_breaker_call_duration_seconds'))).toBe(false);
    } finally {
      await module.close();
    }
  });

  it('read each breaker once per scrape, and afresh on the next one', async () => {
    const breakers = new FakeBreakers();
    breakers.add('a', CircuitState.CLOSED);
    let reads = 0;
    const list = breakers.list.bind(breakers);
    breakers.list = () => list().map((b) => ({ ...b, metrics: () => (reads++, b.metrics()) }));
    const module = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, breakers })] }).compile();
    await module.init();
    try {
      const metrics = module.get(MetricsService);
      await metrics.metrics();
      expect(reads).toBe(1);
      breakers.count('a', { slow: 2 });
      expect(valueOf(await samplesOf(metrics), 'circuit_breaker_slow_calls_total', { name: 'a' })).toBe(2);
      expect(reads).toBe(2);
    } finally {
      await module.close();
    }
  });

  it('leave a window gauge out for a source whose metrics() does not give that field', async () => {
    const breakers = new FakeBreakers();
    breakers.add('custom', CircuitState.CLOSED);
    const module = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, breakers })] }).compile();
    await module.init();
    try {
      const samples = await samplesOf(module.get(MetricsService));
      expect(valueOf(samples, 'circuit_breaker_state', { name: 'custom', state: 'CLOSED' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_failure_rate', { name: 'custom' })).toBeUndefined();
    } finally {
      await module.close();
    }
  });
});

/** A FakeClock that counts its readings: a breaker reads the clock per call only when something needs a time. */
class CountingClock extends FakeClock {
  reads = 0;
  override now(): number {
    this.reads++;
    return super.now();
  }
}

describe('cost on the call path', () => {
  it('is nothing with the default metrics (no clock reading per call), and a reading per call with the histogram', async () => {
    const calls = 1_000;
    for (const [breakerCallDuration, atLeast, atMost] of [[false, 0, 0], [true, calls, Infinity]] as const) {
      const clock = new CountingClock();
      const module = await Test.createTestingModule({
        imports: [ResilienceModule.forRoot({ clock }), MetricsModule.forRoot({ ...quietMetrics, breakerCallDuration })],
      }).compile();
      await module.init();
      try {
        const db = module.get(BreakerRegistry).getOrCreate('db', { window: { kind: 'count', size: 100 } });
        const before = clock.reads;
        for (let i = 0; i < calls; i++) await db.execute(ok);
        const reads = clock.reads - before;
        expect([breakerCallDuration, reads >= atLeast && reads <= atMost]).toEqual([breakerCallDuration, true]);
      } finally {
        await module.close();
      }
    }
  });
});

describe('breaker call-duration histogram (opt-in)', () => {
  it('times permitted calls by outcome in the buckets given, not rejected ones', async () => {
    const { clock, module, registry, metrics } = await startBreakers({ breakerCallDuration: { buckets: [0.01, 0.1, 1] } });
    try {
      const db = registry.getOrCreate('db', { window: { kind: 'consecutive', failures: 2 } });
      const after = (ms: number, fail = false) =>
        new Promise<string>((resolve, reject) => {
          clock.setTimeout(() => (fail ? reject(new Error('late failure')) : resolve('ok')), ms);
        });
      const run = async (ms: number, fail = false) => {
        const call = db.execute(() => after(ms, fail)).catch(() => undefined);
        clock.advance(ms);
        await call;
      };
      await run(5);
      await run(50);
      await run(500, true);
      await run(5, true); // second failure in a row: OPEN
      expect(db.state).toBe(CircuitState.OPEN);
      await db.execute(ok).catch(() => undefined); // rejected: not timed

      const samples = await samplesOf(metrics);
      const h = 'circuit_breaker_call_duration_seconds';
      expect(valueOf(samples, `${h}_count`, { name: 'db', outcome: 'successful' })).toBe(2);
      expect(valueOf(samples, `${h}_bucket`, { name: 'db', outcome: 'successful', le: '0.01' })).toBe(1);
      expect(valueOf(samples, `${h}_bucket`, { name: 'db', outcome: 'successful', le: '0.1' })).toBe(2);
      expect(valueOf(samples, `${h}_sum`, { name: 'db', outcome: 'successful' })).toBeCloseTo(0.055);
      expect(valueOf(samples, `${h}_count`, { name: 'db', outcome: 'failed' })).toBe(2);
      expect(valueOf(samples, `${h}_bucket`, { name: 'db', outcome: 'failed', le: '0.1' })).toBe(1);
      expect(valueOf(samples, `${h}_bucket`, { name: 'db', outcome: 'failed', le: '1' })).toBe(2);
    } finally {
      await module.close();
    }
  });

  it('is on with true (default buckets)', async () => {
    const { module, registry, metrics } = await startBreakers({ breakerCallDuration: true });
    try {
      await registry.getOrCreate('db').execute(ok);
      const samples = await samplesOf(metrics);
      expect(valueOf(samples, 'circuit_breaker_call_duration_seconds_bucket', { name: 'db', outcome: 'successful', le: '0.001' })).toBe(1);
      expect(samples.filter((s) => s.name === 'circuit_breaker_call_duration_seconds_bucket').map((s) => s.labels.le)).toEqual([
        '0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf',
      ]);
    } finally {
      await module.close();
    }
  });

  it('follows a source\'s events$ only when on, until the app closes', async () => {
    const off = Object.assign(new FakeBreakers(), { events$: new Subject<CircuitBreakerEvent>() });
    const on = Object.assign(new FakeBreakers(), { events$: new Subject<CircuitBreakerEvent>() });
    const a = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, breakers: off })] }).compile();
    const b = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, breakers: on, breakerCallDuration: true })] }).compile();
    await a.init();
    await b.init();
    expect(off.events$.observed).toBe(false);
    expect(on.events$.observed).toBe(true);
    await a.close();
    await b.close();
    expect(on.events$.observed).toBe(false);
  });

  it('rejects a bad breakerCallDuration, and a breakers source without events$, naming the option and the value', async () => {
    const attempts: [MetricsModuleOptions, string][] = [
      [{ breakerCallDuration: 'yes' as never }, 'option "breakerCallDuration" must be a boolean or { buckets: number[] }, got "yes"'],
      [{ breakerCallDuration: { buckets: [] } }, 'option "breakerCallDuration.buckets" must be a non-empty array of increasing positive numbers, got []'],
      [{ breakerCallDuration: { bucket: [1] } as never }, 'option "breakerCallDuration" must be a boolean or { buckets: number[] }, got {"bucket":[1]}'],
      [{ clock: {} as never }, 'option "clock" must implement now(), setTimeout() and clearTimeout(), got {}'],
    ];
    attempts.push([
      { breakerCallDuration: true, breakers: new FakeBreakers() },
      'option "breakers" must have events$ when breakerCallDuration is on (the histogram times calls from it), got {"breakers":{},"stateChanges$"',
    ]);
    for (const [options, message] of attempts) {
      const error = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, ...options })] })
        .compile()
        .then(
          async (module) => {
            await module.close();
            return undefined;
          },
          (e: unknown) => e,
        );
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message.startsWith(`MetricsModule: ${message}`)).toBe(true);
    }
  });
});

describe('health state metrics', () => {
  useFakeTimedHarnesses();

  it('count the seconds spent in each status, the current one up to the scrape', async () => {
    const check = scriptedCheck(true);
    const h = await startHealth(
      { components: [{ name: 'db', type: 'database', check: check.fn, failureThreshold: 1, successThreshold: 1, intervalMs: 1_000 }] },
      { imports: [MetricsModule.forRoot(quietMetrics)] },
    );
    const metrics = h.module.get(MetricsService);
    await jest.advanceTimersByTimeAsync(0); // first check at t=0: HEALTHY
    await jest.advanceTimersByTimeAsync(2_500);
    let samples = await samplesOf(metrics);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'HEALTHY' })).toBe(2.5);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'UNHEALTHY' })).toBeUndefined();

    check.answer(false);
    await jest.advanceTimersByTimeAsync(500); // check at t=3000: UNHEALTHY
    await jest.advanceTimersByTimeAsync(4_000);
    samples = await samplesOf(metrics);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'HEALTHY' })).toBe(3);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'UNHEALTHY' })).toBe(4);
    // The system and readiness went HEALTHY → UNHEALTHY once each.
    expect(valueOf(samples, 'health_status_transitions_total', { scope: 'readiness', from: 'HEALTHY', to: 'UNHEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_status_transitions_total', { scope: 'system', from: 'HEALTHY', to: 'UNHEALTHY' })).toBe(1);

    check.answer(true);
    await jest.advanceTimersByTimeAsync(1_000); // check at t=8000: HEALTHY again
    samples = await samplesOf(metrics);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'HEALTHY' })).toBe(3);
    expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'UNHEALTHY' })).toBe(5);
    const readiness = samples.filter((s) => s.name === 'health_status_transitions_total' && s.labels.scope === 'readiness');
    // Bootstrap (UNKNOWN → UNHEALTHY until the first check → HEALTHY), then the outage and the recovery.
    expect(readiness.map((s) => [s.labels.from, s.labels.to, s.value])).toEqual([
      ['UNKNOWN', 'UNHEALTHY', 1],
      ['UNHEALTHY', 'HEALTHY', 2],
      ['HEALTHY', 'UNHEALTHY', 1],
    ]);
    await h.close();
  });

  it('report the heal state (GAVE_UP once healing stops) and heal attempts by result', async () => {
    const check = scriptedCheck(false);
    const h = await startHealth(
      {
        components: [
          { name: 'plain', check: () => true },
          {
            name: 'queue',
            type: 'queue',
            critical: false,
            check: check.fn,
            heal: () => undefined,
            failureThreshold: 1,
            intervalMs: 1_000,
            healing: { backoff: { minMs: 1_000, factor: 1, jitter: 0 }, maxAttempts: 2, windowMs: 60_000 },
          },
        ],
      },
      { imports: [MetricsModule.forRoot(quietMetrics)] },
    );
    const metrics = h.module.get(MetricsService);
    await jest.advanceTimersByTimeAsync(0);
    let samples = await samplesOf(metrics);
    expect(valueOf(samples, 'health_component_heal_state', { component: 'queue', state: 'GAVE_UP' })).toBe(0);
    // Every result of a healing component is there from the start, so increase() sees the first one.
    expect(valueOf(samples, 'health_heal_attempts_total', { component: 'queue', result: 'timeout' })).toBe(0);
    expect(samples.filter((s) => s.name === 'health_heal_attempts_total' && s.labels.component === 'plain')).toEqual([]);
    // A component without a heal has no heal state.
    expect(samples.filter((s) => s.name === 'health_component_heal_state' && s.labels.component === 'plain')).toEqual([]);

    await jest.advanceTimersByTimeAsync(1_000); // second attempt fails: GAVE_UP
    samples = await samplesOf(metrics);
    expect(valueOf(samples, 'health_component_heal_state', { component: 'queue', state: 'GAVE_UP' })).toBe(1);
    expect(valueOf(samples, 'health_component_heal_state', { component: 'queue', state: 'IDLE' })).toBe(0);
    expect(valueOf(samples, 'health_heal_attempts_total', { component: 'queue', result: 'failure' })).toBe(2);
    h.logger.takeErrors();
    await h.close();
  });

  it('time a source\'s components from their since, and forget a removed one', async () => {
    const clock = new FakeClock(10_000);
    const health = new FakeHealth();
    health.set('db', 'database', 'HEALTHY');
    (health.componentsByName.get('db') as { since?: number }).since = 4_000;
    const module = await Test.createTestingModule({ imports: [MetricsModule.forRoot({ ...quietMetrics, health, clock })] }).compile();
    await module.init();
    try {
      const metrics = module.get(MetricsService);
      expect(valueOf(await samplesOf(metrics), 'health_component_status_seconds_total', { component: 'db', status: 'HEALTHY' })).toBe(6);
      clock.advance(1_000);
      health.set('db', 'database', 'DEGRADED');
      health.emit({ type: 'status_change', component: 'db', from: 'HEALTHY' as never, to: 'DEGRADED' as never, at: clock.now() });
      clock.advance(500);
      let samples = await samplesOf(metrics);
      expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'HEALTHY' })).toBe(7);
      expect(valueOf(samples, 'health_component_status_seconds_total', { component: 'db', status: 'DEGRADED' })).toBe(0.5);
      health.componentsByName.delete('db');
      health.emit({ type: 'component_unregistered', component: 'db', at: clock.now() });
      samples = await samplesOf(metrics);
      expect(samples.filter((s) => s.name === 'health_component_status_seconds_total')).toEqual([]);
    } finally {
      await module.close();
    }
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication, Module } from '@nestjs/common';
import { DiskHealthIndicator, HealthIndicatorService, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { HealthComponent } from '../../libs/resilience/src/health/health-component.decorator.js';
import type { HealthModuleOptions } from '../../libs/resilience/src/health/health-module.options.js';
import { HealthModule } from '../../libs/resilience/src/health/health.module.js';
import { HealthRegistry } from '../../libs/resilience/src/health/health.registry.js';
import { HealthStatus } from '../../libs/resilience/src/health/health-status.js';
import { FakeClock } from '../../libs/resilience/src/testing/fake-clock.js';
import { RecordingLogger } from './support/recording-logger.js';

const { HEALTHY, DEGRADED, UNHEALTHY } = HealthStatus;
const ONE_BYTE = 1;
const ONE_TERABYTE = 1024 ** 4;

/** Terminus' memory and disk indicators as components, their thresholds set by the test. */
@Injectable()
class MemoryChecks {
  heapLimit = ONE_TERABYTE;
  diskLimit = 1; // a fraction of the disk: 1 is never exceeded, 0 always
  constructor(
    private readonly memory: MemoryHealthIndicator,
    private readonly disk: DiskHealthIndicator,
  ) {}

  @HealthComponent({ name: 'heap', type: 'internal', probes: ['liveness', 'readiness'], failureThreshold: 1 })
  heap() {
    return this.memory.checkHeap('heap', this.heapLimit);
  }

  @HealthComponent({ name: 'disk', type: 'internal', critical: false, failureThreshold: 1 })
  storage() {
    return this.disk.checkStorage('disk', { path: '/', thresholdPercent: this.diskLimit });
  }
}

@Module({ imports: [TerminusModule], providers: [MemoryChecks], exports: [MemoryChecks] })
class MemoryChecksModule {}

/** The `HealthCheckError` Terminus 10 and 11 indicators threw: the indicator result in `causes`. */
class LegacyHealthCheckError extends Error {
  readonly isHealthCheckError = true;
  constructor(
    message: string,
    readonly causes: unknown,
  ) {
    super(message);
  }
}

const indicators = new HealthIndicatorService();

interface Served {
  app: INestApplication;
  url: string;
  registry: HealthRegistry;
  logger: RecordingLogger;
}

async function serve(options: HealthModuleOptions = {}): Promise<Served> {
  const logger = new RecordingLogger();
  const module = await Test.createTestingModule({
    imports: [
      HealthModule.forRoot({ clock: new FakeClock(), startupGraceMs: 0, drainDelayMs: 0, http: { details: 'always' }, ...options }),
      MemoryChecksModule,
    ],
  })
    .setLogger(logger)
    .compile();
  const app = module.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  const registry = app.get(HealthRegistry);
  await registry.runNow();
  return { app, url: await app.getUrl(), registry, logger };
}

describe('Terminus health indicators as checks', () => {
  let served: Served | undefined;
  afterEach(async () => {
    await served?.app.close();
    served?.logger.assertNoUnexpectedErrors();
    served = undefined;
  });

  it('takes MemoryHealthIndicator.checkHeap from a @HealthComponent: up is HEALTHY, down is UNHEALTHY with its message', async () => {
    served = await serve();
    const { registry, app } = served;
    expect(registry.get('heap')).toMatchObject({ status: HEALTHY, details: { heap: { status: 'up' } } });
    expect(registry.get('heap')!.message).toBeUndefined();

    app.get(MemoryChecks).heapLimit = ONE_BYTE;
    await registry.runNow('heap');
    expect(registry.get('heap')).toMatchObject({
      status: UNHEALTHY,
      message: 'heap: Used heap exceeded the set threshold',
      details: { heap: { status: 'down', message: 'Used heap exceeded the set threshold' } },
    });
  });

  it('takes DiskHealthIndicator.checkStorage the same way', async () => {
    served = await serve();
    const { registry, app } = served;
    expect(registry.get('disk')).toMatchObject({ status: HEALTHY, details: { disk: { status: 'up' } } });
    app.get(MemoryChecks).diskLimit = 0;
    await registry.runNow('disk');
    expect(registry.get('disk')).toMatchObject({ status: UNHEALTHY, message: 'disk: Used disk storage exceeded the set threshold' });
  });

  it('maps HealthIndicatorService sessions given in components[]: up, degraded and down, the worst entry of a merged result winning', async () => {
    let answer: 'up' | 'degraded' | 'down' = 'up';
    served = await serve({
      components: [
        {
          name: 'replica',
          failureThreshold: 1,
          check: () => {
            const session = indicators.check('replica');
            return answer === 'up' ? session.up({ lagMs: 4 }) : answer === 'degraded' ? session.degraded({ lagMs: 12_000 }) : session.down('gone');
          },
        },
        {
          name: 'caches',
          failureThreshold: 1,
          check: () => ({ ...indicators.check('hot').up(), ...indicators.check('cold').degraded('evicting') }),
        },
      ],
    });
    const { registry } = served;
    expect(registry.get('replica')).toMatchObject({ status: HEALTHY, details: { replica: { status: 'up', lagMs: 4 } } });
    expect(registry.get('caches')).toMatchObject({
      status: DEGRADED,
      message: 'cold: evicting',
      details: { hot: { status: 'up' }, cold: { status: 'degraded', message: 'evicting' } },
    });

    answer = 'degraded';
    await registry.runNow('replica');
    expect(registry.get('replica')).toMatchObject({ status: DEGRADED, details: { replica: { status: 'degraded', lagMs: 12_000 } } });
    answer = 'down';
    await registry.runNow('replica');
    expect(registry.get('replica')).toMatchObject({ status: UNHEALTHY, message: 'replica: gone' });
  });

  it('accepts the thenable of HealthIndicatorService.check(key).attempt() from register(), and redacts the details', async () => {
    served = await serve();
    const { registry, app } = served;
    const service = app.get(HealthIndicatorService, { strict: false });
    let fail = false;
    registry.register({
      name: 'orders-db',
      type: 'database',
      failureThreshold: 1,
      check: () =>
        service.check('orders-db').attempt(() => {
          if (fail) throw new Error('connect ECONNREFUSED postgres://orders:s3cret@10.0.0.5:5432/orders');
          return { url: 'postgres://orders:s3cret@10.0.0.5:5432/orders', apiKey: 'k-123' };
        }),
    });
    await registry.runNow('orders-db');
    expect(registry.get('orders-db')).toMatchObject({
      status: HEALTHY,
      details: { 'orders-db': { status: 'up', url: 'postgres://orders:***@10.0.0.5:5432/orders', apiKey: '***' } },
    });
    fail = true;
    await registry.runNow('orders-db');
    expect(registry.get('orders-db')).toMatchObject({
      status: UNHEALTHY,
      message: 'orders-db: connect ECONNREFUSED postgres://orders:***@10.0.0.5:5432/orders',
    });
    expect(JSON.stringify(registry.get('orders-db'))).not.toMatch(/s3cret|k-123/);
  });

  it('reads a thrown HealthCheckError (older Terminus) as UNHEALTHY with its causes, even with onError: unknown', async () => {
    served = await serve({
      components: [
        {
          name: 'queue',
          onError: 'unknown',
          failureThreshold: 1,
          check: () => {
            throw new LegacyHealthCheckError('queue check failed', { queue: { status: 'down', token: 'abc', depth: 9_000 } });
          },
        },
        {
          name: 'plain',
          onError: 'unknown',
          failureThreshold: 1,
          check: () => {
            throw new Error('not an indicator');
          },
        },
      ],
    });
    expect(served.registry.get('queue')).toMatchObject({
      status: UNHEALTHY,
      message: 'queue check failed',
      details: { queue: { status: 'down', token: '***', depth: 9_000 } },
    });
    expect(served.registry.get('plain')!.status).toBe(HealthStatus.UNKNOWN);
  });

  it('keeps rejecting values that only look like indicator results', async () => {
    served = await serve({
      components: [{ name: 'odd', failureThreshold: 1, check: () => ({ a: { status: 'up' }, b: { status: 'fine' } }) as never }],
    });
    expect(served.registry.get('odd')).toMatchObject({ status: UNHEALTHY, message: expect.stringContaining('check returned an unsupported value') });
  });

  it('answers 200 on /health/live with a passing Terminus indicator, and 503 once it reports down', async () => {
    served = await serve();
    const live = await fetch(`${served.url}/health/live`);
    const body = (await live.json()) as { status: string; info: Record<string, Record<string, unknown>> };
    expect(live.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info.heap).toMatchObject({ status: 'up', health: 'HEALTHY', details: { heap: { status: 'up' } } });

    served.app.get(MemoryChecks).heapLimit = ONE_BYTE;
    await served.registry.runNow('heap');
    expect((await fetch(`${served.url}/health/live`)).status).toBe(503);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { Counter, register } from 'prom-client';
import supertest from 'supertest';
import { CircuitState, isInvalidOptionError } from '@engined/resilience';
import { MetricsModule, MetricsService } from '@engined/resilience/metrics';
import { FakeBreakers } from './fakes.js';
import { scrape, valueOf } from './scrape.js';

const apps: INestApplication[] = [];

async function start(imports: unknown[], controllers: unknown[] = []): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: imports as [], controllers: controllers as [] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  // prom-client's global registry outlives the apps: leave it empty for the next test.
  register.clear();
});

const config = (values: Record<string, unknown>) => ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => values] });

describe('MetricsModule.forRootAsync', () => {
  it('takes its options from a factory with injected ConfigService', async () => {
    const breakers = new FakeBreakers();
    breakers.add('db', CircuitState.OPEN);
    const app = await start([
      config({ METRICS_PREFIX: 'shop_' }),
      MetricsModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (settings: ConfigService) => ({ prefix: settings.getOrThrow<string>('METRICS_PREFIX'), defaultMetrics: false, breakers }),
      }),
    ]);
    const { samples, contentType } = await scrape(app);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(valueOf(samples, 'shop_circuit_breaker_state', { name: 'db', state: 'OPEN' })).toBe(1);
    expect(samples.every((sample) => sample.name.startsWith('shop_'))).toBe(true);
  });

  it('mounts the route given next to useFactory, and refuses a factory that moves it', async () => {
    const app = await start([MetricsModule.forRootAsync({ path: '/internal/metrics', useFactory: () => ({ defaultMetrics: false }) })]);
    await scrape(app, '/internal/metrics');
    await supertest(app.getHttpServer()).get('/metrics').expect(404);

    const error = await start([MetricsModule.forRootAsync({ useFactory: () => ({ path: '/elsewhere' }) })]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'MetricsModule: option "path" is fixed when the module is defined (pass it next to useFactory in forRootAsync; defined as "/metrics"), got "/elsewhere"',
    );
  });

  it('validates what the factory returns at bootstrap', async () => {
    const error = await start([MetricsModule.forRootAsync({ useFactory: async () => ({ prefix: 'has space' }) })]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^MetricsModule: option "prefix" must be empty or match/);
  });
});

describe("MetricsModule with registry: 'global'", () => {
  @Injectable()
  class Orders {
    // An app's own metric, registered the usual way: into prom-client's global registry.
    readonly placed = new Counter({ name: 'orders_placed_total', help: 'Orders placed.' });
  }

  @Controller()
  class OrdersController {
    constructor(private readonly orders: Orders) {}
    @Get('orders/place')
    place(): string {
      this.orders.placed.inc();
      return 'placed';
    }
  }

  @Module({ providers: [Orders], controllers: [OrdersController] })
  class OrdersModule {}

  it('serves the metrics the app registers itself on the same /metrics, next to the library\'s', async () => {
    const breakers = new FakeBreakers();
    breakers.add('payments', CircuitState.CLOSED);
    const app = await start([MetricsModule.forRoot({ registry: 'global', breakers }), OrdersModule]);
    await supertest(app.getHttpServer()).get('/orders/place').expect(200);
    await supertest(app.getHttpServer()).get('/orders/place').expect(200);

    const { samples } = await scrape(app);
    expect(valueOf(samples, 'orders_placed_total')).toBe(2);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'payments', state: 'CLOSED' })).toBe(1);
    expect(valueOf(samples, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(app.get(MetricsService).registry).toBe(register);
  });

  it('takes the library\'s metrics out of the global registry at close, and leaves the app\'s', async () => {
    const app = await start([MetricsModule.forRootAsync({ useFactory: () => ({ registry: 'global' as const, breakers: new FakeBreakers() }) }), OrdersModule]);
    expect(register.getSingleMetric('circuit_breaker_state')).toBeDefined();
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    expect(register.getSingleMetric('circuit_breaker_state')).toBeUndefined();
    expect(register.getSingleMetric('orders_placed_total')).toBeDefined();
  });
});

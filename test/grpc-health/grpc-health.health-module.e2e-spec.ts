import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import type { INestApplication } from '@nestjs/common';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { BreakerRegistry, ResilienceModule } from '@engined/resilience';
import { HealthModule, HealthRegistry } from '@engined/resilience/health';
import { GrpcHealthModule, withGrpcHealth } from '@engined/resilience/grpc';
import { MetricsModule } from '@engined/resilience/metrics';
import { FakeClock } from '@engined/resilience/testing';
import { scrape, valueOf } from '../metrics/scrape.js';
import { PING_PROTO_PATH, freeLoopbackPort, healthClient } from './health-client.js';

describe('grpc.health.v1 and /metrics fed by the real health and breaker registries', () => {
  let app: INestApplication;
  let client: ReturnType<typeof healthClient>;
  let registry: HealthRegistry;
  let databaseUp: boolean;

  beforeEach(async () => {
    databaseUp = true;
    const clock = new FakeClock(1_000_000);
    const moduleRef = await Test.createTestingModule({
      imports: [
        ResilienceModule.forRoot({ clock }),
        HealthModule.forRoot({
          clock,
          http: { enabled: false },
          components: [
            {
              name: 'db',
              type: 'database',
              failureThreshold: 1,
              check: () => databaseUp,
            },
            { name: 'event-loop', type: 'internal', probes: ['liveness', 'readiness'], check: () => true },
          ],
        }),
        GrpcHealthModule.forRoot(),
        MetricsModule.forRoot({ defaultMetrics: false }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    const grpcOptions: GrpcOptions = {
      transport: Transport.GRPC,
      options: { url: address, package: 'engined.test.v1', protoPath: PING_PROTO_PATH, gracefulShutdown: true },
    };
    app.connectMicroservice(withGrpcHealth(app, grpcOptions), { inheritAppConfig: true });
    await app.startAllMicroservices();
    await app.init();
    registry = app.get(HealthRegistry);
    await registry.runNow();
    client = healthClient(address);
  });

  afterEach(async () => {
    client.close();
    await app.close();
  });

  it('publishes the system, the probe groups and every component', async () => {
    expect(await client.list()).toEqual({
      '': 'SERVING',
      liveness: 'SERVING',
      readiness: 'SERVING',
      startup: 'SERVING',
      db: 'SERVING',
      'event-loop': 'SERVING',
    });
  });

  it('streams a failing database to readiness watchers while liveness keeps serving', async () => {
    const readiness = client.watch('readiness');
    const db = client.watch('db');
    expect(await readiness.next()).toBe('SERVING');
    expect(await db.next()).toBe('SERVING');

    databaseUp = false;
    await registry.runNow('db');

    expect(await readiness.next()).toBe('NOT_SERVING');
    expect(await db.next()).toBe('NOT_SERVING');
    expect(await client.check('liveness')).toBe('SERVING');
    expect(await client.check('')).toBe('NOT_SERVING');

    const { samples } = await scrape(app);
    expect(valueOf(samples, 'health_component_status', { component: 'db', type: 'database', status: 'UNHEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_status', { scope: 'readiness', status: 'UNHEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'db' })).toBe(2);
  });

  it('shows a tripped breaker as a degraded, still serving component and in the breaker metrics', async () => {
    const breaker = app.get(BreakerRegistry).getOrCreate('downstream', { window: { kind: 'consecutive', failures: 1 } });
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(breaker.execute(() => 'never runs')).rejects.toThrow(/downstream/);

    expect(await client.check('breaker:downstream')).toBe('SERVING'); // OPEN → DEGRADED → still SERVING
    expect(await client.check('readiness')).toBe('SERVING');
    const { samples } = await scrape(app);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'downstream', state: 'OPEN' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'downstream', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'downstream', outcome: 'not_permitted' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_transitions_total', { name: 'downstream', from: 'CLOSED', to: 'OPEN' })).toBe(1);
    expect(valueOf(samples, 'health_component_status', { component: 'breaker:downstream', status: 'DEGRADED' })).toBe(1);
  });

  it('at app.close() readiness and then every service turn NOT_SERVING, and Watch streams end', async () => {
    const liveness = client.watch('liveness');
    const readiness = client.watch('readiness');
    expect(await liveness.next()).toBe('SERVING');
    expect(await readiness.next()).toBe('SERVING');

    await app.close();

    expect(await readiness.next()).toBe('NOT_SERVING');
    expect(await liveness.next()).toBe('NOT_SERVING');
    expect((await liveness.ended).code).toBe(grpc.status.OK);
    expect((await readiness.ended).code).toBe(grpc.status.OK);
    expect(readiness.unread).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, type INestMicroservice, Injectable } from '@nestjs/common';
import { GrpcMethod, type GrpcOptions, Transport } from '@nestjs/microservices';
import { BreakerExceptionFilter, CircuitBreaker, CircuitState, RETRY_AFTER_MS_METADATA } from '@engined/resilience';
import { HealComponent, HealState, HealthComponent, HealthStatus } from '@engined/resilience/health';
import { GrpcHealthModule, withGrpcHealth } from '@engined/resilience/grpc';
import { freeLoopbackPort, healthClient } from '../grpc-health/health-client.js';
import { FlakyService } from './support/fakes.js';
import { compileScenario, rejectionOf, Scenario, startScenario } from './support/scenario-app.js';

const { CLOSED, OPEN, HALF_OPEN } = CircuitState;
const { HEALTHY, DEGRADED, UNHEALTHY } = HealthStatus;
const PROTO_PATH = join(import.meta.dirname, 'fixtures/inventory.proto');

/** A provider guarded by a breaker (test 1). */
@Injectable()
class ShippingClient {
  constructor(private readonly shipping: FlakyService) {}

  @CircuitBreaker({ name: 'shipping', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 10_000 })
  async book(parcel: string): Promise<string> {
    return this.shipping.call(parcel);
  }
}

/** Serves GetStock over gRPC; the handler is guarded by a breaker. */
@Controller()
class InventoryController {
  constructor(private readonly warehouse: FlakyService) {}

  @GrpcMethod('Inventory', 'GetStock')
  @CircuitBreaker({ name: 'warehouse', window: { kind: 'consecutive', failures: 3 }, openDurationMs: 30_000 })
  async getStock({ sku }: { sku: string }) {
    return { sku, answer: await this.warehouse.call(sku) };
  }
}

/** The warehouse downstream as a health component; its restart takes as long as the test says. */
@Injectable()
class WarehouseHealth {
  restartGate: Promise<void> = Promise.resolve();

  constructor(private readonly warehouse: FlakyService) {}

  @HealthComponent({ name: 'warehouse', type: 'grpc', intervalMs: 5_000, failureThreshold: 2 })
  async check() {
    await this.warehouse.call('ping');
  }

  @HealComponent('warehouse')
  async restart() {
    await this.restartGate;
    this.warehouse.restart();
  }
}

interface InventoryClient extends grpc.Client {
  GetStock(request: { sku: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ sku: string; answer: string }>): void;
}

function inventoryClient(address: string) {
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: true, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    scenarios: { v1: { Inventory: new (address: string, credentials: grpc.ChannelCredentials) => InventoryClient } };
  };
  const client = new loaded.scenarios.v1.Inventory(address, grpc.credentials.createInsecure());
  return {
    getStock: (sku: string) =>
      new Promise<{ sku: string; answer: string }>((resolve, reject) =>
        client.GetStock({ sku }, { deadline: Date.now() + 5_000 }, (error, reply) => (error ? reject(error) : resolve(reply!))),
      ),
    close: () => client.close(),
  };
}

describe('cross-component (original: TestCrossComponentIntegration)', () => {
  let s: Scenario | undefined;
  const clients: { close(): void }[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await s?.close();
    s = undefined;
  });

  it("test_circuit_breaker_metrics_in_health_checks: the breaker is the health component breaker:<name>, its metrics are the details, and it is DEGRADED while not CLOSED", async () => {
    s = await startScenario({ providers: [FlakyService, ShippingClient] });
    const shipping = s.get(FlakyService);
    const client = s.get(ShippingClient);
    const component = () => s!.registry.get('breaker:shipping')!;

    expect(component()).toMatchObject({ type: 'breaker', critical: false, probes: ['readiness'], status: HEALTHY });
    expect(component().details).toMatchObject({ name: 'shipping', state: CLOSED, calls: { successful: 0, failed: 0 } });

    await client.book('p1');
    shipping.mode = 'down';
    await rejectionOf(client.book('p2'));
    await rejectionOf(client.book('p3')); // second consecutive failure: OPEN
    await rejectionOf(client.book('p4')); // rejected

    expect(component()).toMatchObject({
      status: DEGRADED,
      details: { state: OPEN, calls: { successful: 1, failed: 2, notPermitted: 1 }, transitions: 1 },
    });
    expect(s.eventsOf('status_change').filter((e) => e.component === 'breaker:shipping').map((e) => [e.from, e.to, e.reason])).toEqual([
      [HEALTHY, DEGRADED, 'breaker CLOSED → OPEN: 2 consecutive failures'],
    ]);
    // Non-critical: an open breaker degrades the instance, it does not take it out of rotation.
    expect([s.registry.status('system'), s.registry.status('readiness'), s.registry.status('liveness')]).toEqual([
      DEGRADED,
      DEGRADED,
      HEALTHY,
    ]);

    shipping.mode = 'up';
    await s.clock.advanceAsync(10_000);
    expect(component()).toMatchObject({ status: DEGRADED, details: { state: HALF_OPEN } }); // reading it half-opens it
    expect(await client.book('p5')).toBe('ok:p5'); // the probe closes it
    expect(component()).toMatchObject({
      status: HEALTHY,
      details: { state: CLOSED, calls: { successful: 2, failed: 2, notPermitted: 1 }, transitions: 3 },
    });
    expect(s.statusChanges('breaker:shipping')).toEqual([
      [0, HEALTHY, DEGRADED],
      [10_000, DEGRADED, HEALTHY],
    ]);
    expect(s.registry.status('system')).toBe(HEALTHY);
  });

  it('test_end_to_end_failure_and_recovery: start → fail → open → heal → recover, across a gRPC method, its breaker, health (and grpc.health.v1) and healing, each phase at an exact clock time', async () => {
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    const compiled = await compileScenario({
      imports: [GrpcHealthModule.forRoot()],
      controllers: [InventoryController],
      providers: [FlakyService, WarehouseHealth],
    });
    // The health hook runs at listen time, when `ms` exists.
    const ms: INestMicroservice = compiled.module.createNestMicroservice<GrpcOptions>({
      ...withGrpcHealth(() => ms, { transport: Transport.GRPC, options: { package: 'scenarios.v1', protoPath: PROTO_PATH, url: address } }),
      logger: false,
    });
    ms.useGlobalFilters(new BreakerExceptionFilter());
    s = new Scenario(ms, compiled.clock);
    await ms.listen();
    const { clock } = s;
    const warehouse = s.get(FlakyService);
    const warehouseHealth = s.get(WarehouseHealth);
    const health = healthClient(address);
    const inventory = inventoryClient(address);
    clients.push(health, inventory);

    // 1. start: everything up.
    await clock.advanceAsync(0);
    expect(await inventory.getStock('A')).toEqual({ sku: 'A', answer: 'ok:A' });
    expect(await health.check('readiness')).toBe('SERVING');
    expect(s.registry.status('system')).toBe(HEALTHY);
    const started = s.mark();

    // 2. fail: the warehouse goes down; three RPCs fail with the handler's own error (UNKNOWN), untouched by the breaker.
    warehouse.mode = 'down';
    for (let n = 1; n <= 3; n++) {
      expect(await rejectionOf(inventory.getStock(`B${n}`))).toMatchObject({ code: grpc.status.UNKNOWN });
    }

    // 3. open: the 3rd failure opened the breaker; calls are answered UNAVAILABLE without reaching the warehouse.
    expect(s.transitions('warehouse')).toEqual([[0, CLOSED, OPEN]]);
    const callsBefore = warehouse.calls;
    const unavailable = (await rejectionOf(inventory.getStock('C'))) as grpc.ServiceError;
    expect(unavailable.code).toBe(grpc.status.UNAVAILABLE);
    expect(unavailable.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual(['30000']);
    expect(warehouse.calls).toBe(callsBefore);
    expect(s.registry.get('breaker:warehouse')!.status).toBe(DEGRADED);
    expect(await health.check('readiness')).toBe('SERVING'); // degraded, still in rotation

    let releaseRestart!: () => void;
    warehouseHealth.restartGate = new Promise((resolve) => (releaseRestart = resolve));
    await clock.advanceTo(5_000); // failed check 1 of 2
    expect(s.registry.get('warehouse')!.status).toBe(HEALTHY);
    await clock.advanceTo(10_000); // failed check 2: UNHEALTHY, the restart begins
    expect(s.registry.get('warehouse')).toMatchObject({ status: UNHEALTHY, heal: { state: HealState.HEALING, attempts: 1 } });
    expect(await health.check('readiness')).toBe('NOT_SERVING');
    expect(await health.check('warehouse')).toBe('NOT_SERVING');
    const stillOpen = (await rejectionOf(inventory.getStock('D'))) as grpc.ServiceError;
    expect(stillOpen.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual(['20000']);

    // 4. heal: the restart finishes; the re-check verifies it.
    const healed = s.nextHealthEvent((e) => e.type === 'heal_attempt' && e.component === 'warehouse');
    releaseRestart();
    expect(await healed).toMatchObject({ attempt: 1, result: 'success', verified: true, startedAt: 10_000 });
    expect(s.registry.get('warehouse')!.status).toBe(HEALTHY);
    expect(await health.check('warehouse')).toBe('SERVING');
    expect(await health.check('readiness')).toBe('SERVING');
    expect(s.registry.status('readiness')).toBe(DEGRADED); // the breaker is still open

    // 5. recover: once the open duration is over, the next RPC is the probe, and it closes the breaker.
    await clock.advanceTo(30_000);
    expect(await inventory.getStock('E')).toEqual({ sku: 'E', answer: 'ok:E' });
    expect(s.transitions('warehouse')).toEqual([
      [0, CLOSED, OPEN],
      [30_000, OPEN, HALF_OPEN],
      [30_000, HALF_OPEN, CLOSED],
    ]);
    expect(s.registry.get('breaker:warehouse')!.status).toBe(HEALTHY);
    expect(s.registry.status('system')).toBe(HEALTHY);
    expect(await health.check('')).toBe('SERVING');

    expect(s.statusChanges('warehouse', started)).toEqual([
      [10_000, HEALTHY, UNHEALTHY],
      [10_000, UNHEALTHY, HEALTHY],
    ]);
    expect(s.aggregateChanges('readiness', started)).toEqual([
      [0, HEALTHY, DEGRADED], // breaker opened
      [10_000, DEGRADED, UNHEALTHY],
      [10_000, UNHEALTHY, DEGRADED],
      [30_000, DEGRADED, HEALTHY],
    ]);
  });
});

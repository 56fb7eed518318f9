import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Headers, Inject, Injectable, type INestApplication, Logger, Param, Query, Scope } from '@nestjs/common';
import { APP_FILTER, ContextIdFactory, type ContextId, type ContextIdStrategy, type HostComponentInfo, REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import supertest from 'supertest';
import {
  Bulkhead,
  BulkheadRegistry,
  BreakerExceptionFilter,
  BreakerRegistry,
  BreakerSignal,
  type BreakerClassifier,
  type CircuitBreakerEvent,
  CircuitBreaker,
  CircuitState,
  isInvalidOptionError,
  ResilienceModule,
} from '@engined/resilience';
import { HealthComponent, HealthModule } from '@engined/resilience/health';
import { FakeClock } from '@engined/resilience/testing';

const TRIP_AFTER_2 = { window: { kind: 'consecutive', failures: 2 }, openDurationMs: 5_000 } as const;

/** What the downstream saw, shared by every instance: instances are per request, the test's view is not. */
class Downstream {
  healthy = true;
  readonly callers: string[] = [];
  readonly instances = new Set<object>();
  readonly signals: AbortSignal[] = [];
}
const DOWNSTREAM = Symbol('downstream');

/** Not an error for the breaker: the record is missing, the dependency is fine. */
class NotFound extends Error {}

@Injectable()
class NotFoundIsFine implements BreakerClassifier {
  ignoreErrors = [NotFound];
}

/** A request-scoped client: a new instance per request, carrying that request's user. */
@Injectable({ scope: Scope.REQUEST })
class QuoteClient {
  private readonly user: string;

  constructor(
    @Inject(REQUEST) request: Request,
    @Inject(DOWNSTREAM) private readonly downstream: Downstream,
  ) {
    this.user = String(request.headers['x-user'] ?? 'anonymous');
  }

  @CircuitBreaker({ name: 'quotes', ...TRIP_AFTER_2, timeoutMs: 1_000, classifier: NotFoundIsFine, fallback: 'cached' })
  async quote(symbol: string, @BreakerSignal() signal?: AbortSignal): Promise<string> {
    this.downstream.instances.add(this);
    this.downstream.callers.push(this.user);
    this.downstream.signals.push(signal!);
    if (symbol === 'missing') throw new NotFound(symbol);
    if (!this.downstream.healthy) throw new Error('quotes down');
    return `${symbol}:live:${this.user}`;
  }

  /** Runs on the instance of the rejected request: it sees that request's user. */
  cached(symbol: string, _signal: AbortSignal | undefined, error: unknown): string {
    return `${symbol}:cached-for:${this.user}:${(error as Error).name}`;
  }

  @CircuitBreaker({ name: 'orders', ...TRIP_AFTER_2 })
  async order(id: string): Promise<string> {
    this.downstream.instances.add(this);
    this.downstream.callers.push(this.user);
    if (!this.downstream.healthy) throw new Error('orders down');
    return `order ${id}`;
  }
}

/** A request-scoped client whose breaker is composed with a bulkhead (bound by the composition explorer). */
@Injectable({ scope: Scope.REQUEST })
class StockClient {
  constructor(@Inject(DOWNSTREAM) private readonly downstream: Downstream) {}

  @CircuitBreaker({ name: 'stock', ...TRIP_AFTER_2 })
  @Bulkhead({ name: 'stock', maxConcurrent: 4, maxQueued: 0 })
  async level(sku: string): Promise<string> {
    this.downstream.instances.add(this);
    if (!this.downstream.healthy) throw new Error('stock down');
    return `${sku}: 7`;
  }
}

@Controller('stock')
class StockController {
  constructor(private readonly stock: StockClient) {}
  @Get(':sku')
  level(@Param('sku') sku: string): Promise<string> {
    return this.stock.level(sku);
  }
}

@Controller()
class QuotesController {
  constructor(private readonly quotes: QuoteClient) {}

  @Get('quotes/:symbol')
  quote(@Param('symbol') symbol: string): Promise<string> {
    return this.quotes.quote(symbol);
  }

  @Get('orders/:id')
  order(@Param('id') id: string): Promise<string> {
    return this.quotes.order(id);
  }
}

/** A request-scoped controller guarding its own handler. */
@Controller({ path: 'prices', scope: Scope.REQUEST })
class PricesController {
  constructor(@Inject(DOWNSTREAM) private readonly downstream: Downstream) {}

  @Get()
  @CircuitBreaker(TRIP_AFTER_2)
  async price(@Query('fail') fail?: string): Promise<{ price: number }> {
    this.downstream.instances.add(this);
    if (fail === '1') throw new Error('pricing down');
    return { price: 42 };
  }
}

const clock = new FakeClock();
let app: INestApplication | undefined;
let shared: Downstream;

async function serve(controllers: (typeof QuotesController | typeof PricesController | typeof TenantController | typeof StockController)[], providers: unknown[] = []) {
  shared = new Downstream();
  const moduleRef = await Test.createTestingModule({
    imports: [ResilienceModule.forRoot({ clock })],
    controllers,
    providers: [
      QuoteClient,
      NotFoundIsFine,
      { provide: DOWNSTREAM, useValue: shared },
      { provide: APP_FILTER, useClass: BreakerExceptionFilter },
      ...(providers as []),
    ],
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { http: supertest(app.getHttpServer()), registry: app.get(BreakerRegistry) };
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('@CircuitBreaker on request-scoped providers, over HTTP', () => {
  it('shares one breaker per name between the instances of every request: it trips after 2 failures across requests, then 503 with Retry-After', async () => {
    const { http, registry } = await serve([QuotesController]);
    const events: CircuitBreakerEvent[] = [];
    registry.get('orders')!.events$.subscribe((event) => events.push(event));

    await http.get('/orders/1').set('x-user', 'ann').expect(200, 'order 1');
    shared.healthy = false;
    await http.get('/orders/2').set('x-user', 'bob').expect(500);
    await http.get('/orders/3').set('x-user', 'cid').expect(500);
    expect(registry.get('orders')!.state).toBe(CircuitState.OPEN);

    clock.advance(1_200);
    const rejected = await http.get('/orders/4').set('x-user', 'dan').expect(503);
    expect(rejected.headers['retry-after']).toBe('4'); // 3,800 ms left
    expect(rejected.body.message).toContain('"orders"');

    expect(shared.callers).toEqual(['ann', 'bob', 'cid']); // dan's call never ran
    expect(shared.instances.size).toBe(3); // one instance per request
    expect(registry.list().map((breaker) => breaker.name).toSorted()).toEqual(['orders', 'quotes']);
    expect(registry.get('orders')!.metrics().calls).toMatchObject({ successful: 1, failed: 2, notPermitted: 1 });
    expect(events.map((event) => event.type)).toEqual(['success', 'failure', 'failure', 'state_change', 'rejected']);
    expect(events[3]).toMatchObject({ from: CircuitState.CLOSED, to: CircuitState.OPEN });

    clock.advance(3_800);
    shared.healthy = true;
    await http.get('/orders/5').set('x-user', 'eve').expect(200, 'order 5');
    expect(registry.get('orders')!.state).toBe(CircuitState.CLOSED);
  });

  it('runs the named fallback on the instance of the rejected request, applies the injected classifier, and gives each call its own signal', async () => {
    const { http, registry } = await serve([QuotesController]);
    shared.healthy = false;
    await http.get('/quotes/missing').set('x-user', 'ann').expect(500); // NotFound: ignored, not a failure
    expect(registry.get('quotes')!.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    await http.get('/quotes/ACME').set('x-user', 'bob').expect(500);
    await http.get('/quotes/ACME').set('x-user', 'cid').expect(500);
    expect(registry.get('quotes')!.state).toBe(CircuitState.OPEN);

    await http.get('/quotes/ACME').set('x-user', 'dan').expect(200, 'ACME:cached-for:dan:CircuitBreakerOpenError');
    await http.get('/quotes/INIT').set('x-user', 'eve').expect(200, 'INIT:cached-for:eve:CircuitBreakerOpenError');
    expect(new Set(shared.signals).size).toBe(3);
    expect(shared.signals.every((signal) => signal instanceof AbortSignal && !signal.aborted)).toBe(true);
  });

  it('guards the handler of a request-scoped controller the same way', async () => {
    const { http, registry } = await serve([PricesController]);
    await http.get('/prices').expect(200, { price: 42 });
    await http.get('/prices?fail=1').expect(500);
    await http.get('/prices?fail=1').expect(500);
    const rejected = await http.get('/prices').expect(503);
    expect(rejected.headers['retry-after']).toBe('5');
    expect(registry.get('PricesController.price')!.state).toBe(CircuitState.OPEN);
    expect(shared.instances.size).toBe(3);
  });

  it('guards a method composing @CircuitBreaker() with @Bulkhead() the same way: one breaker and one bulkhead for every instance', async () => {
    const { http, registry } = await serve([StockController], [StockClient]);
    await http.get('/stock/a').expect(200, 'a: 7');
    shared.healthy = false;
    await http.get('/stock/b').expect(500);
    await http.get('/stock/c').expect(500);
    const rejected = await http.get('/stock/d').expect(503);
    expect(rejected.headers['retry-after']).toBe('5');
    expect(registry.get('stock')!.metrics().calls).toMatchObject({ successful: 1, failed: 2, notPermitted: 1 });
    expect(app!.get(BulkheadRegistry).list().map((bulkhead) => bulkhead.name)).toEqual(['stock']);
    expect(shared.instances.size).toBe(3);
  });

  it('runs unguarded again once the app has closed, and a second app gets its own breaker', async () => {
    const first = await serve([PricesController]);
    await first.http.get('/prices?fail=1').expect(500);
    await first.http.get('/prices?fail=1').expect(500);
    await first.http.get('/prices').expect(503);
    await app!.close();
    app = undefined;

    const second = await serve([PricesController]);
    await second.http.get('/prices').expect(200, { price: 42 });
    expect(second.registry.get('PricesController.price')!.state).toBe(CircuitState.CLOSED);
    const unguarded = Object.create(PricesController.prototype) as PricesController;
    Object.assign(unguarded, { downstream: shared });
    await app!.close();
    app = undefined;
    await expect(unguarded.price('1')).rejects.toThrow('pricing down');
    await expect(unguarded.price('1')).rejects.toThrow('pricing down');
    await expect(unguarded.price()).resolves.toEqual({ price: 42 }); // no breaker left to open
  });
});

/** Per-tenant instances (durable providers): one per `x-tenant`, reused across that tenant's requests. */
class TenantStrategy implements ContextIdStrategy {
  private readonly tenants = new Map<string, ContextId>();
  attach(contextId: ContextId, request: Request) {
    const tenant = String(request.headers['x-tenant'] ?? 'none');
    let tenantId = this.tenants.get(tenant);
    if (tenantId === undefined) this.tenants.set(tenant, (tenantId = ContextIdFactory.create()));
    return { resolve: (info: HostComponentInfo) => (info.isTreeDurable ? tenantId! : contextId), payload: { tenant } };
  }
}

@Injectable({ scope: Scope.REQUEST, durable: true })
class TenantLedger {
  constructor(
    @Inject(REQUEST) readonly context: { tenant: string },
    @Inject(DOWNSTREAM) private readonly downstream: Downstream,
  ) {}

  @CircuitBreaker({ name: 'ledger', ...TRIP_AFTER_2 })
  async balance(): Promise<string> {
    this.downstream.instances.add(this);
    if (!this.downstream.healthy) throw new Error('ledger down');
    return `balance of ${this.context.tenant}`;
  }
}

@Controller('ledger')
class TenantController {
  constructor(private readonly ledger: TenantLedger) {}
  @Get()
  balance(@Headers('x-tenant') _tenant: string): Promise<string> {
    return this.ledger.balance();
  }
}

describe('@CircuitBreaker on a durable provider', () => {
  afterEach(() => {
    ContextIdFactory.apply(undefined as unknown as ContextIdStrategy);
  });

  it('has one instance per tenant and one breaker for all of them', async () => {
    ContextIdFactory.apply(new TenantStrategy());
    const { http, registry } = await serve([TenantController], [TenantLedger]);
    await http.get('/ledger').set('x-tenant', 'a').expect(200, 'balance of a');
    await http.get('/ledger').set('x-tenant', 'a').expect(200, 'balance of a');
    await http.get('/ledger').set('x-tenant', 'b').expect(200, 'balance of b');
    expect(shared.instances.size).toBe(2);

    shared.healthy = false;
    await http.get('/ledger').set('x-tenant', 'a').expect(500);
    await http.get('/ledger').set('x-tenant', 'b').expect(500);
    await http.get('/ledger').set('x-tenant', 'c').expect(503);
    expect(registry.get('ledger')!.state).toBe(CircuitState.OPEN);
  });
});

async function bootError(providers: unknown[]): Promise<unknown> {
  const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()], providers: providers as [] }).compile();
  return moduleRef.init().then(
    async () => {
      await moduleRef.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}
describe('bootstrap checks for request-scoped sites', () => {
  @Injectable({ scope: Scope.REQUEST })
  class ScopedClassifier implements BreakerClassifier {
    ignoreErrors = [NotFound];
  }

  @Injectable({ scope: Scope.REQUEST })
  class Misconfigured {
    @CircuitBreaker({ classifier: ScopedClassifier })
    async call(): Promise<void> {}
  }

  @Injectable({ scope: Scope.REQUEST })
  class NoSuchFallback {
    @CircuitBreaker({ fallback: 'nope' })
    async call(): Promise<void> {}
  }

  it('refuses a request-scoped classifier: one breaker shares one classifier', async () => {
    const error = await bootError([Misconfigured, ScopedClassifier]);
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toMatch(/@CircuitBreaker\(\) on Misconfigured\.call: option "classifier" must be a singleton provider/);
  });

  it('refuses a fallback that is not a method of the class', async () => {
    const error = await bootError([NoSuchFallback]);
    expect((error as Error).message).toMatch(/option "fallback" must be a function or the name of a method of NoSuchFallback, got "nope"/);
  });

  it('warns when a second running application binds the same request-scoped class', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const refs = [];
    try {
      for (let i = 0; i < 2; i++) {
        const ref = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()], controllers: [PricesController], providers: [{ provide: DOWNSTREAM, useValue: new Downstream() }] }).compile();
        await ref.init();
        refs.push(ref);
      }
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/PricesController is request-scoped and already guarded by another application/);
    } finally {
      for (const ref of refs) await ref.close();
      warn.mockRestore();
    }
  });
});

describe('@HealthComponent on a request-scoped provider', () => {
  @Injectable({ scope: Scope.REQUEST })
  class PerRequestHealth {
    @HealthComponent({ name: 'per-request' })
    check(): boolean {
      return true;
    }
  }

  it('is refused at bootstrap, saying why: a check runs on a timer, outside any request', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ http: { enabled: false }, drainDelayMs: 0 })],
      providers: [PerRequestHealth],
    }).compile();
    const error = await moduleRef.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    await moduleRef.close();
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Health component on PerRequestHealth: option "scope" must be declared on a singleton provider (a check runs on a timer, outside any request, so a request-scoped or durable provider has no instance to run it on), got "request"',
    );
  });
});

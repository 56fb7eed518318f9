import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  type INestMicroservice,
  Injectable,
  Param,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { APP_FILTER, Reflector } from '@nestjs/core';
import { GrpcMethod, Transport, type GrpcOptions } from '@nestjs/microservices';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { Observable } from 'rxjs';
import supertest from 'supertest';
import {
  BreakerExceptionFilter,
  BreakerRegistry,
  BreakerSignal,
  CircuitBreaker,
  CircuitState,
  RETRY_AFTER_MS_METADATA,
  ResilienceModule,
} from '@engined/resilience';
import { FakeClock } from '@engined/resilience/testing';

const PROTO_PATH = join(import.meta.dirname, '../fixtures/breaker-test.proto');
const AUDIT = 'test:audit';

interface RecordDto {
  id: string;
  value: string;
}

/** The downstream the handlers depend on; the test decides whether it works and counts what reached it. */
@Injectable()
class RecordStore {
  healthy = true;
  calls = 0;

  read(id: string): RecordDto {
    this.calls++;
    if (!this.healthy) throw new Error('store unavailable');
    return { id, value: `value-${id}` };
  }
}

/** Lets a call through only if the handler still carries the metadata set below `@CircuitBreaker()`. */
@Injectable()
class AuditGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    return this.reflector.get<string>(AUDIT, context.getHandler()) === 'records';
  }
}

@Controller()
@UseGuards(AuditGuard)
class RecordsGrpcController {
  constructor(private readonly store: RecordStore) {}

  // @GrpcMethod above the breaker, a custom key below it.
  @GrpcMethod('Records', 'Get')
  @CircuitBreaker({ name: 'records.get', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 5_000 })
  @SetMetadata(AUDIT, 'records')
  async get(request: { id: string }): Promise<RecordDto> {
    return this.store.read(request.id);
  }

  // @GrpcMethod below the breaker: its pattern metadata must be carried over.
  @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 }, openDurationMs: 2_000 })
  @GrpcMethod('Records', 'Watch')
  @SetMetadata(AUDIT, 'records')
  watch(request: { id: string }): Observable<RecordDto> {
    return new Observable<RecordDto>((subscriber) => {
      try {
        subscriber.next(this.store.read(request.id));
        subscriber.next(this.store.read(`${request.id}-2`));
        subscriber.complete();
      } catch (error) {
        subscriber.error(error);
      }
    });
  }
}

interface RecordsClient extends grpc.Client {
  Get(request: { id: string }, options: grpc.CallOptions, callback: grpc.requestCallback<RecordDto>): void;
  Watch(request: { id: string }, options: grpc.CallOptions): grpc.ClientReadableStream<RecordDto>;
}

const deadline = () => ({ deadline: Date.now() + 5_000 });

function recordsClient(port: number) {
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: true, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    breakertest: { Records: new (address: string, credentials: grpc.ChannelCredentials) => RecordsClient };
  };
  const client = new loaded.breakertest.Records(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    get: (id: string) =>
      new Promise<RecordDto>((resolve, reject) =>
        client.Get({ id }, deadline(), (error, reply) => (error ? reject(error) : resolve(reply!))),
      ),
    watch: (id: string) =>
      new Promise<RecordDto[]>((resolve, reject) => {
        const replies: RecordDto[] = [];
        const stream = client.Watch({ id }, deadline());
        stream.on('data', (reply: RecordDto) => replies.push(reply));
        stream.on('error', reject);
        stream.on('end', () => resolve(replies));
      }),
    close: () => client.close(),
  };
}

/** A port the OS just handed out on loopback (Nest's gRPC server does not report the port it bound). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A gRPC status error as grpc-js hands it to the client. */
type GrpcError = grpc.ServiceError;
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as GrpcError,
  );

describe('@CircuitBreaker on @GrpcMethod handlers, over a real gRPC server', () => {
  const clock = new FakeClock();
  let app: INestMicroservice;
  let store: RecordStore;
  let registry: BreakerRegistry;
  let client: ReturnType<typeof recordsClient>;

  beforeAll(async () => {
    const port = await freePort();
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ clock })],
      controllers: [RecordsGrpcController],
      providers: [RecordStore, AuditGuard],
    }).compile();
    app = moduleRef.createNestMicroservice<GrpcOptions>({
      transport: Transport.GRPC,
      options: { package: 'breakertest', protoPath: PROTO_PATH, url: `127.0.0.1:${port}` },
      logger: false,
    });
    app.useGlobalFilters(new BreakerExceptionFilter());
    // A standalone microservice registers its handlers before onModuleInit: the guard must still apply.
    await app.listen();
    store = app.get(RecordStore);
    registry = app.get(BreakerRegistry);
    client = recordsClient(port);
  });

  afterAll(async () => {
    client.close();
    await app.close();
  });

  it('serves through the breaker, then answers UNAVAILABLE with retry-after-ms once it is open', async () => {
    await expect(client.get('a')).resolves.toEqual({ id: 'a', value: 'value-a' });

    store.healthy = false;
    for (let i = 0; i < 2; i++) {
      const error = await failure(client.get('b'));
      expect(error.code).toBe(grpc.status.UNKNOWN); // the handler's own error, untouched by the filter
    }
    expect(registry.get('records.get')!.state).toBe(CircuitState.OPEN);
    const callsWhenOpen = store.calls;

    clock.advance(1_500);
    const rejected = await failure(client.get('c'));
    expect(rejected.code).toBe(grpc.status.UNAVAILABLE);
    expect(rejected.details).toContain('records.get');
    expect(rejected.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual(['3500']);
    expect(store.calls).toBe(callsWhenOpen);

    clock.advance(3_500);
    store.healthy = true;
    await expect(client.get('d')).resolves.toEqual({ id: 'd', value: 'value-d' });
    expect(registry.get('records.get')!.state).toBe(CircuitState.CLOSED);
  });

  it('guards a server-streaming handler returning an Observable, named ClassName.methodName', async () => {
    await expect(client.watch('w')).resolves.toEqual([
      { id: 'w', value: 'value-w' },
      { id: 'w-2', value: 'value-w-2' },
    ]);
    const breaker = registry.get('RecordsGrpcController.watch')!;
    expect(breaker.metrics().calls.successful).toBe(1);

    store.healthy = false;
    await expect(failure(client.watch('x'))).resolves.toMatchObject({ code: grpc.status.UNKNOWN });
    expect(breaker.state).toBe(CircuitState.OPEN);

    const rejected = await failure(client.watch('y'));
    expect(rejected.code).toBe(grpc.status.UNAVAILABLE);
    expect(rejected.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual(['2000']);
    store.healthy = true;
  });

  it('keeps the handler metadata other decorators set, on the method Nest reads', () => {
    const handler = RecordsGrpcController.prototype.watch;
    expect(Reflect.getMetadata(AUDIT, handler)).toBe('records');
    expect(Reflect.getMetadata('microservices:pattern', handler)).toEqual([
      { service: 'Records', rpc: 'Watch', streaming: 'no_stream' },
    ]);
    expect(handler.name).toBe('watch');
  });
});

/** Calls of the slow handler that have started, with the signal each was given. */
const slowCalls: { id: string; signal: AbortSignal }[] = [];
let slowCallStarted: () => void = () => undefined;

@Controller('records')
class RecordsHttpController {
  constructor(private readonly store: RecordStore) {}

  @Get(':id')
  @CircuitBreaker({ window: { kind: 'consecutive', failures: 1 }, openDurationMs: 2_500, timeoutMs: 1_000 })
  async get(@Param('id') id: string): Promise<RecordDto> {
    return this.store.read(id);
  }

  // A handler that waits on its downstream until the breaker's timeout aborts the call's signal.
  @Get('slow/:id')
  @CircuitBreaker({ name: 'records.slow', window: { kind: 'consecutive', failures: 5 }, timeoutMs: 1_000 })
  async slow(@Param('id') id: string, @BreakerSignal() signal?: AbortSignal): Promise<RecordDto> {
    slowCalls.push({ id, signal: signal! });
    slowCallStarted();
    return new Promise<RecordDto>((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }));
  }
}

describe('BreakerExceptionFilter (as APP_FILTER) over a real HTTP server', () => {
  const clock = new FakeClock();
  let app: INestApplication;
  let store: RecordStore;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ clock })],
      controllers: [RecordsHttpController],
      providers: [RecordStore, { provide: APP_FILTER, useClass: BreakerExceptionFilter }],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    store = app.get(RecordStore);
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers 503 with Retry-After in whole seconds, rounded up, once the breaker is open', async () => {
    await supertest(app.getHttpServer()).get('/records/1').expect(200, { id: '1', value: 'value-1' });
    store.healthy = false;
    await supertest(app.getHttpServer()).get('/records/2').expect(500);

    clock.advance(400);
    const response = await supertest(app.getHttpServer()).get('/records/3').expect(503);
    expect(response.headers['retry-after']).toBe('3'); // 2,100 ms left
    expect(response.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(response.body.message).toContain('RecordsHttpController.get');
  });

  it('answers 504 (no Retry-After) when the call times out, and aborts that handler’s signal', async () => {
    const started = new Promise<void>((resolve) => (slowCallStarted = resolve));
    const response = supertest(app.getHttpServer()).get('/records/slow/7').then((answer) => answer);
    await started;
    expect(slowCalls.map(({ id, signal }) => [id, signal.aborted])).toEqual([['7', false]]);
    clock.advance(1_000);
    const answer = await response;
    expect(answer.status).toBe(504);
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(answer.body).toMatchObject({ statusCode: 504, error: 'Gateway Timeout' });
    expect(answer.body.message).toContain('records.slow');
    expect(slowCalls[0]!.signal.aborted).toBe(true);
    expect(app.get(BreakerRegistry).get('records.slow')!.metrics().calls).toMatchObject({ failed: 1, timedOut: 1 });
  });

  it('answers 503 without Retry-After while an operator holds the breaker FORCED_OPEN', async () => {
    const registry = app.get(BreakerRegistry);
    registry.forceOpen('records.slow', 'maintenance');
    const response = await supertest(app.getHttpServer()).get('/records/slow/8').expect(503);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body.message).toContain('until an operator closes it');
    expect(slowCalls).toHaveLength(1);
    registry.reset('records.slow', 'maintenance over');
  });

  it('leaves no timer behind at app.close()', async () => {
    clock.advance(2_500);
    store.healthy = true;
    await supertest(app.getHttpServer()).get('/records/4').expect(200);
    await app.close();
    expect(clock.pendingTimers).toBe(0);
    expect(app.get(BreakerRegistry).list()).toEqual([]);
  });
});

@Injectable()
class Poller {
  reached = 0;
  healthy = false;

  // @Interval below the breaker; ScheduleModule is imported (and explores) before ResilienceModule.
  @CircuitBreaker({ window: { kind: 'consecutive', failures: 2 }, openDurationMs: 60_000 })
  @Interval(1_000)
  async poll(): Promise<void> {
    this.reached++;
    if (!this.healthy) throw new Error('poll failed');
  }
}

describe('@CircuitBreaker with @Interval', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('the scheduled runs go through the breaker, whatever the module order', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const clock = new FakeClock();
    const moduleRef = await Test.createTestingModule({
      imports: [ScheduleModule.forRoot(), ResilienceModule.forRoot({ clock })],
      providers: [Poller],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    const poller = moduleRef.get(Poller);
    const breaker = moduleRef.get(BreakerRegistry).get('Poller.poll')!;

    for (let i = 0; i < 4; i++) await jest.advanceTimersByTimeAsync(1_000);

    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(poller.reached).toBe(2); // runs 3 and 4 were rejected by the breaker
    expect(breaker.metrics().calls.notPermitted).toBe(2);
    await moduleRef.close();
  });
});

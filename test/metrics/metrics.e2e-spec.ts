import { afterEach, describe, expect, it, jest } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Catch, Controller, type INestApplication, Logger, Module, type RpcExceptionFilter } from '@nestjs/common';
import {
  GrpcException,
  GrpcExceptionFilter,
  GrpcMethod,
  GrpcNotFoundException,
  RpcException,
  Transport,
} from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { type Observable, throwError } from 'rxjs';
import { CircuitState, isInvalidOptionError } from '@engined/resilience';
import { HealthStatus } from '@engined/resilience/health';
import { GrpcHealthModule, GrpcServer, withGrpcHealth } from '@engined/resilience/grpc';
import { MetricsModule, type MetricsModuleOptions, withGrpcMetrics } from '@engined/resilience/metrics';
import { FakeHealthSource, freeLoopbackPort, healthClient, PING_PROTO_PATH } from '../grpc-health/health-client.js';
import { FakeBreakers, FakeHealth } from './fakes.js';
import { type Sample, scrape, valueOf } from './scrape.js';

const apps: INestApplication[] = [];

async function start(options: MetricsModuleOptions, imports: unknown[] = []): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [MetricsModule.forRoot(options), ...(imports as [])],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  await app.init();
  return app;
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('GET /metrics', () => {
  it('serves the text exposition format with Node.js process metrics, all under the prefix', async () => {
    const app = await start({ prefix: 'engined_' });
    const { contentType, samples } = await scrape(app);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(valueOf(samples, 'engined_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'engined_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(samples.every((sample) => sample.name.startsWith('engined_'))).toBe(true);
  });

  it('leaves the process metrics out with defaultMetrics: false, and moves with path', async () => {
    const app = await start({ defaultMetrics: false, path: '/internal/prometheus' });
    const { samples } = await scrape(app, '/internal/prometheus');
    expect(samples.some((sample) => sample.name.startsWith('process_') || sample.name.startsWith('nodejs_'))).toBe(false);
    await (await import('supertest')).default(app.getHttpServer()).get('/metrics').expect(404);
  });

  it('lets two apps in one process keep their own metrics', async () => {
    const a = new FakeBreakers();
    const b = new FakeBreakers();
    a.add('db', CircuitState.CLOSED);
    b.add('db', CircuitState.OPEN);
    const appA = await start({ breakers: a });
    const appB = await start({ breakers: b });
    a.count('db', { successful: 1 });
    expect(valueOf((await scrape(appA)).samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'successful' })).toBe(1);
    expect(valueOf((await scrape(appB)).samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'successful' })).toBe(0);
    expect(valueOf((await scrape(appB)).samples, 'circuit_breaker_state', { name: 'db', state: 'OPEN' })).toBe(1);
  });

  it('registers into a registry you pass, refuses a clash there, and cleans up at close', async () => {
    const registry = new Registry();
    const first = await start({ registry, breakers: new FakeBreakers(), defaultMetrics: false });
    await expect(start({ registry, breakers: new FakeBreakers(), defaultMetrics: false })).rejects.toThrow(
      /MetricsModule: option "registry" already holds a metric of that name.*got "circuit_breaker_state"|grpc_server_handled_total/,
    );
    expect(registry.getSingleMetric('circuit_breaker_calls_total')).toBeDefined();
    await first.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });

  it('rejects options that shape the module when it is defined, naming the option and the value', () => {
    const attempts: [MetricsModuleOptions, string][] = [
      [{ path: '' }, 'option "path" must be a non-empty route string or false, got ""'],
      [{ grpcInterceptor: 1 as never }, 'option "grpcInterceptor" must be a boolean, got 1'],
      [{ isGlobal: 'no' } as never, 'option "isGlobal" must be a boolean, got "no"'],
    ];
    for (const [options, message] of attempts) {
      let error: unknown;
      try {
        MetricsModule.forRoot(options);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toBe(`MetricsModule: ${message}`);
    }
  });

  it('rejects the other bad options at bootstrap, naming the option and the value', async () => {
    const attempts: [MetricsModuleOptions, string][] = [
      [{ prefix: '9bad' }, 'option "prefix" must be empty or match [a-zA-Z_:][a-zA-Z0-9_:]*, got "9bad"'],
      [{ defaultMetrics: 'yes' as never }, 'option "defaultMetrics" must be a boolean, got "yes"'],
      [{ grpcDurationBuckets: [1, 0.5] }, 'option "grpcDurationBuckets" must be a non-empty array of increasing positive numbers, got [1,0.5]'],
      [{ registry: {} as never }, 'option "registry" must be a prom-client Registry or \'global\', got {}'],
    ];
    for (const [options, message] of attempts) {
      const error = await start(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toBe(`MetricsModule: ${message}`);
    }
  });
});

describe('breaker metrics', () => {
  it('follow state transitions and calls by outcome', async () => {
    const breakers = new FakeBreakers();
    breakers.add('db', CircuitState.CLOSED);
    const app = await start({ breakers, defaultMetrics: false });

    let { samples } = await scrape(app);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'db', state: 'CLOSED' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'db', state: 'OPEN' })).toBe(0);
    for (const outcome of ['successful', 'failed', 'ignored', 'not_permitted', 'timeout']) {
      expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome })).toBe(0);
    }

    breakers.count('db', { successful: 2, ignored: 1, failed: 1, timedOut: 1 });
    breakers.transition('db', CircuitState.OPEN);
    breakers.count('db', { notPermitted: 1 });
    breakers.transition('db', CircuitState.HALF_OPEN);
    breakers.transition('db', CircuitState.OPEN);

    ({ samples } = await scrape(app));
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'db', state: 'OPEN' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_state', { name: 'db', state: 'CLOSED' })).toBe(0);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'successful' })).toBe(2);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'timeout' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'ignored' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'db', outcome: 'not_permitted' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_transitions_total', { name: 'db', from: 'CLOSED', to: 'OPEN' })).toBe(1);
    expect(valueOf(samples, 'circuit_breaker_transitions_total', { name: 'db', from: 'HALF_OPEN', to: 'OPEN' })).toBe(1);
  });

  it('stop counting at app.close()', async () => {
    const breakers = new FakeBreakers();
    const app = await start({ breakers });
    expect(breakers.stateChanges$.observed).toBe(true);
    await app.close();
    expect(breakers.stateChanges$.observed).toBe(false);
  });
});

describe('health metrics', () => {
  it('report component and scope statuses, check latency and heal attempts', async () => {
    const health = new FakeHealth();
    health.set('db', 'database', 'HEALTHY');
    const app = await start({ health, defaultMetrics: false });

    let { samples } = await scrape(app);
    expect(valueOf(samples, 'health_component_status', { component: 'db', type: 'database', status: 'HEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_status', { scope: 'readiness', status: 'HEALTHY' })).toBe(1);

    health.set('db', 'database', 'UNHEALTHY');
    health.scopes.readiness = 'UNHEALTHY';
    health.emit({ type: 'check_completed', component: 'db', status: HealthStatus.UNHEALTHY, durationMs: 30, timedOut: false, at: 0 });
    health.emit({ type: 'check_completed', component: 'db', status: HealthStatus.UNHEALTHY, durationMs: 2_000, timedOut: true, at: 0 });
    health.emit({
      type: 'heal_attempt', component: 'db', attempt: 1, result: 'failure', durationMs: 5, startedAt: 0, verified: false, at: 0,
    });
    health.emit({
      type: 'heal_attempt', component: 'db', attempt: 2, result: 'success', durationMs: 5, startedAt: 0, verified: true, at: 0,
    });

    ({ samples } = await scrape(app));
    expect(valueOf(samples, 'health_component_status', { component: 'db', status: 'HEALTHY' })).toBe(0);
    expect(valueOf(samples, 'health_component_status', { component: 'db', status: 'UNHEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_status', { scope: 'readiness', status: 'UNHEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'db' })).toBe(2);
    expect(valueOf(samples, 'health_check_duration_seconds_sum', { component: 'db' })).toBeCloseTo(2.03);
    expect(valueOf(samples, 'health_check_duration_seconds_bucket', { component: 'db', le: '0.05' })).toBe(1);
    expect(valueOf(samples, 'health_heal_attempts_total', { component: 'db', result: 'failure' })).toBe(1);
    expect(valueOf(samples, 'health_heal_attempts_total', { component: 'db', result: 'success' })).toBe(1);
    expect(valueOf(samples, 'health_checks_total', { component: 'db', status: 'UNHEALTHY' })).toBe(2);
  });

  it('count every check by the status it reported, also while hysteresis keeps the component HEALTHY', async () => {
    const health = new FakeHealth();
    health.set('db', 'database', 'HEALTHY');
    const app = await start({ health, defaultMetrics: false });
    // Fails 2 runs of every 3: never 3 in a row, so the component stays HEALTHY.
    for (let run = 0; run < 9; run++) {
      const status = run % 3 === 0 ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY;
      health.emit({ type: 'check_completed', component: 'db', status, durationMs: 1, timedOut: false, at: run });
    }
    health.emit({ type: 'check_completed', component: 'db', status: HealthStatus.DEGRADED, durationMs: 1, timedOut: false, at: 9 });
    const { samples } = await scrape(app);
    expect(valueOf(samples, 'health_component_status', { component: 'db', status: 'HEALTHY' })).toBe(1);
    expect(valueOf(samples, 'health_checks_total', { component: 'db', status: 'HEALTHY' })).toBe(3);
    expect(valueOf(samples, 'health_checks_total', { component: 'db', status: 'UNHEALTHY' })).toBe(6);
    expect(valueOf(samples, 'health_checks_total', { component: 'db', status: 'DEGRADED' })).toBe(1);
  });
});

/** Calls held by `text: 'hang'` until the test releases them. */
const hanging = { entered: [] as (() => void)[], release: [] as (() => void)[] };

@Controller()
class PingController {
  @GrpcMethod('Ping', 'Ping')
  async ping({ text }: { text: string }) {
    if (text === 'missing') throw new GrpcNotFoundException('no such thing');
    if (text === 'rpc') throw new RpcException({ code: grpc.status.PERMISSION_DENIED, message: 'no' });
    if (text === 'boom') throw new Error('boom');
    if (text === 'hang') {
      for (const entered of hanging.entered.splice(0)) entered();
      await new Promise<void>((resolve) => hanging.release.push(resolve));
    }
    return { text };
  }
}

/** A last-resort filter as a real app has one: anything unexpected answers INTERNAL, not Nest's UNKNOWN. */
@Catch()
class InternalErrorFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    const known = exception instanceof GrpcException || exception instanceof RpcException;
    const body = known ? exception.getError() : { code: grpc.status.INTERNAL, message: 'internal error' };
    return throwError(() => body);
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

/** A Ping app over Nest's own gRPC transport (no `withGrpcMetrics`), and a client for it. */
async function startPingApp(options: MetricsModuleOptions) {
  const moduleRef = await Test.createTestingModule({ imports: [PingModule, MetricsModule.forRoot(options)] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  apps.push(app);
  const address = `127.0.0.1:${await freeLoopbackPort()}`;
  // The recommended gRPC setup: GrpcException classes turn into their codes.
  app.useGlobalFilters(new GrpcExceptionFilter());
  app.connectMicroservice(
    { transport: Transport.GRPC, options: { url: address, package: 'engined.test.v1', protoPath: PING_PROTO_PATH } },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.init();
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PING_PROTO_PATH)) as unknown as {
    engined: { test: { v1: { Ping: grpc.ServiceClientConstructor } } };
  };
  const client = new loaded.engined.test.v1.Ping(address, grpc.credentials.createInsecure());
  const ping = (text: string) =>
    new Promise<number>((resolve) =>
      client.Ping({ text }, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null) => resolve(error ? error.code : grpc.status.OK)),
    );
  return { app, client, ping };
}

describe('gRPC call metrics', () => {
  it('count calls by method and code and time them, as a global interceptor (grpcInterceptor: true)', async () => {
    const { app, client, ping } = await startPingApp({ defaultMetrics: false, grpcInterceptor: true });
    expect(await ping('hello')).toBe(grpc.status.OK);
    expect(await ping('hello')).toBe(grpc.status.OK);
    expect(await ping('missing')).toBe(grpc.status.NOT_FOUND);
    expect(await ping('rpc')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await ping('boom')).toBe(grpc.status.UNKNOWN);
    client.close();

    const { samples } = await scrape(app);
    const of = (grpc_code: string) =>
      valueOf(samples, 'grpc_server_handled_total', { grpc_service: 'engined.test.v1.Ping', grpc_method: 'Ping', grpc_code });
    expect(of('OK')).toBe(2);
    expect(of('NOT_FOUND')).toBe(1);
    expect(of('PERMISSION_DENIED')).toBe(1);
    expect(of('UNKNOWN')).toBe(1);
    expect(
      valueOf(samples, 'grpc_server_handling_seconds_count', { grpc_service: 'engined.test.v1.Ping', grpc_method: 'Ping' }),
    ).toBe(5);
  });

  it('by default put no interceptor around the app\'s handlers: without withGrpcMetrics, gRPC calls are not counted', async () => {
    const { app, client, ping } = await startPingApp({ defaultMetrics: false });
    expect(await ping('hello')).toBe(grpc.status.OK);
    client.close();
    const { samples } = await scrape(app);
    expect(samples.filter((sample) => sample.name.startsWith('grpc_server_'))).toEqual([]);
  });
});

/** `grpc_server_handled_total` of Ping/Ping for one code. */
function pingsAnswered(samples: Sample[], grpcCode: string): number | undefined {
  return valueOf(samples, 'grpc_server_handled_total', { grpc_service: 'engined.test.v1.Ping', grpc_method: 'Ping', grpc_code: grpcCode });
}

describe('gRPC call metrics counted by grpc-js (withGrpcMetrics)', () => {
  afterEach(() => {
    for (const release of hanging.release.splice(0)) release();
  });

  it('labels every call with the status the client receives, whatever answered it, and counts it once', async () => {
    const source = new FakeHealthSource({ '': 'HEALTHY' });
    const moduleRef = await Test.createTestingModule({
      // grpcInterceptor: true as well, to see the Nest interceptor stand aside.
      imports: [PingModule, GrpcHealthModule.forRoot({ source }), MetricsModule.forRoot({ defaultMetrics: false, grpcInterceptor: true })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    app.useGlobalFilters(new InternalErrorFilter());
    const server = new GrpcServer(
      withGrpcMetrics(
        app,
        withGrpcHealth(app, {
          url: '127.0.0.1:0',
          package: 'engined.test.v1',
          protoPath: PING_PROTO_PATH,
          maxReceiveMessageLength: 256,
          shutdownTimeoutMs: 0,
        }),
      ),
    );
    app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
    await app.init();
    await app.startAllMicroservices();
    const address = `127.0.0.1:${server.port}`;

    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PING_PROTO_PATH)) as unknown as {
      engined: { test: { v1: { Ping: grpc.ServiceClientConstructor } } };
    };
    const client = new loaded.engined.test.v1.Ping(address, grpc.credentials.createInsecure());
    const health = healthClient(address);
    const ping = (text: string) =>
      new Promise<number>((resolve) =>
        client.Ping({ text }, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null) =>
          resolve(error ? error.code : grpc.status.OK),
        ),
      );
    try {
      expect(await ping('hello')).toBe(grpc.status.OK);
      expect(await ping('missing')).toBe(grpc.status.NOT_FOUND);
      expect(await ping('rpc')).toBe(grpc.status.PERMISSION_DENIED);
      // The app's filter answers INTERNAL; Nest's default would have been UNKNOWN.
      expect(await ping('boom')).toBe(grpc.status.INTERNAL);
      // Refused by grpc-js itself, before any Nest code runs, below every interceptor: counted CANCELLED
      // (the public interceptor API only shows that the call ended; README, "How grpc_code is derived").
      expect(await ping('x'.repeat(300))).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(await health.check('')).toBe('SERVING');

      // A client that gives up on a call in progress.
      const entered = new Promise<void>((resolve) => hanging.entered.push(resolve));
      const call = client.Ping({ text: 'hang' }, () => undefined);
      await entered;
      call.cancel();

      // The cancellation reaches the server after the client has moved on: wait for it to be counted.
      let samples: Sample[];
      do ({ samples } = await scrape(app));
      while ((pingsAnswered(samples, 'CANCELLED') ?? 0) < 2);

      const codes = ['OK', 'NOT_FOUND', 'PERMISSION_DENIED', 'INTERNAL', 'RESOURCE_EXHAUSTED', 'CANCELLED', 'UNKNOWN'];
      expect(codes.map((code) => pingsAnswered(samples, code))).toEqual([1, 1, 1, 1, undefined, 2, undefined]);
      // Counted once: grpc-js' count, and GrpcMetricsInterceptor (registered globally) stood aside.
      expect(valueOf(samples, 'grpc_server_handling_seconds_count', { grpc_service: 'engined.test.v1.Ping', grpc_method: 'Ping' })).toBe(6);
      expect(
        valueOf(samples, 'grpc_server_handled_total', { grpc_service: 'grpc.health.v1.Health', grpc_method: 'Check', grpc_code: 'OK' }),
      ).toBe(1);
    } finally {
      health.close();
      client.close();
    }
  });
});

describe('withGrpcMetrics without MetricsModule', () => {
  it('refuses to start the gRPC server, saying what is missing', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PingModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    const server = new GrpcServer(withGrpcMetrics(app, { url: '127.0.0.1:0', package: 'engined.test.v1', protoPath: PING_PROTO_PATH, shutdownTimeoutMs: 0 }));
    app.connectMicroservice({ strategy: server });
    await app.init();
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      // Nest replaces the hook's error with a generic one, after logging the original.
      await expect(app.startAllMicroservices()).rejects.toThrow(/invalid \.proto definition/);
      expect(logged.mock.calls.map(([message]) => message)).toContain(
        'withGrpcMetrics: the app has no MetricsService; import MetricsModule.forRoot() in its module',
      );
    } finally {
      logged.mockRestore();
    }
  });
});

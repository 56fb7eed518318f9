import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Controller, type INestApplication, type INestMicroservice, Module } from '@nestjs/common';
import { GrpcMethod, type GrpcOptions, ServerGrpc, Transport } from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import { GrpcHealthModule, GrpcHealthService, withGrpcHealth } from '@engined/resilience/grpc';
import {
  FakeHealthSource,
  PING_PROTO_PATH,
  StreamReader,
  bindLoopback,
  freeLoopbackPort,
  healthClient,
} from './health-client.js';

describe('grpc.health.v1 on a grpc-js server', () => {
  let source: FakeHealthSource;
  let moduleRef: TestingModule;
  let server: grpc.Server;
  let client: ReturnType<typeof healthClient>;

  beforeEach(async () => {
    source = new FakeHealthSource({
      '': 'HEALTHY',
      liveness: 'HEALTHY',
      readiness: 'DEGRADED',
      startup: 'UNKNOWN',
      db: 'UNHEALTHY',
    });
    moduleRef = await Test.createTestingModule({ imports: [GrpcHealthModule.forRoot({ source })] }).compile();
    await moduleRef.init();
    server = new grpc.Server();
    moduleRef.get(GrpcHealthService).addToServer(server);
    client = healthClient(await bindLoopback(server));
  });

  afterEach(async () => {
    client.close();
    await moduleRef.close();
    server.forceShutdown();
  });

  it('answers Check for the overall service, the probe groups and a component', async () => {
    expect(await client.check('')).toBe('SERVING');
    expect(await client.check('liveness')).toBe('SERVING');
    expect(await client.check('readiness')).toBe('SERVING'); // DEGRADED still serves
    expect(await client.check('startup')).toBe('UNKNOWN'); // not checked yet: fails a probe, says why
    expect(await client.check('db')).toBe('NOT_SERVING');
  });

  it('fails Check for an unknown service with NOT_FOUND', async () => {
    await expect(client.check('nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('follows the source', async () => {
    source.set('db', 'HEALTHY');
    source.set('cache', 'DEGRADED');
    expect(await client.check('db')).toBe('SERVING');
    expect(await client.check('cache')).toBe('SERVING');
    source.remove('cache');
    await expect(client.check('cache')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('Watch sends the current status at once, then only changes', async () => {
    const watch = client.watch('readiness');
    expect(await watch.next()).toBe('SERVING');
    source.set('readiness', 'HEALTHY'); // still SERVING: nothing sent
    source.set('readiness', 'UNHEALTHY');
    source.set('readiness', 'UNHEALTHY');
    source.set('readiness', 'HEALTHY');
    // Stream order is preserved, so a duplicate SERVING would arrive before this.
    expect(await watch.next()).toBe('NOT_SERVING');
    expect(await watch.next()).toBe('SERVING');
    expect(await client.check('readiness')).toBe('SERVING');
    expect(watch.unread).toEqual([]);
  });

  it('Watch of an unknown service sends SERVICE_UNKNOWN and keeps the stream open until it appears', async () => {
    const watch = client.watch('queue');
    expect(await watch.next()).toBe('SERVICE_UNKNOWN');
    source.set('queue', 'UNHEALTHY');
    expect(await watch.next()).toBe('NOT_SERVING');
    source.remove('queue');
    expect(await watch.next()).toBe('SERVICE_UNKNOWN');
  });

  it('List returns every service with its status', async () => {
    expect(await client.list()).toEqual({
      '': 'SERVING',
      liveness: 'SERVING',
      readiness: 'SERVING',
      startup: 'UNKNOWN',
      db: 'NOT_SERVING',
    });
  });

  it('List fails with RESOURCE_EXHAUSTED above 100 services', async () => {
    for (let i = 0; i < 95; i++) source.set(`c${i}`, 'HEALTHY'); // 5 + 95 = 100: still listed
    expect(Object.keys(await client.list())).toHaveLength(100);
    source.set('one-too-many', 'HEALTHY');
    await expect(client.list()).rejects.toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED });
  });

  it('at shutdown every service turns NOT_SERVING and stays so; Watch streams get it and end', async () => {
    const live = client.watch('liveness');
    const unknown = client.watch('later');
    expect(await live.next()).toBe('SERVING');
    expect(await unknown.next()).toBe('SERVICE_UNKNOWN');

    moduleRef.get(GrpcHealthService).shutdown();

    expect(await live.next()).toBe('NOT_SERVING');
    expect((await live.ended).code).toBe(grpc.status.OK);
    expect((await unknown.ended).code).toBe(grpc.status.OK);
    source.set('', 'HEALTHY');
    source.set('later', 'HEALTHY');
    expect(await client.list()).toEqual({
      '': 'NOT_SERVING',
      liveness: 'NOT_SERVING',
      readiness: 'NOT_SERVING',
      startup: 'NOT_SERVING',
      db: 'NOT_SERVING',
    });
    await expect(client.check('later')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const lateWatch = client.watch('');
    expect(await lateWatch.next()).toBe('NOT_SERVING');
    expect((await lateWatch.ended).code).toBe(grpc.status.OK);
  });
});

// What grpc_health_probe or the kubelet send: HealthCheckRequest{service} = field 1, length-delimited.
const request = (service: string) => Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]);
const identity = (buffer: Buffer) => buffer;

describe('grpc.health.v1 on the wire, without protobuf.js on the client', () => {
  let moduleRef: TestingModule;
  let server: grpc.Server;
  let client: grpc.Client;

  beforeEach(async () => {
    const source = new FakeHealthSource({ '': 'HEALTHY', readiness: 'UNHEALTHY' });
    moduleRef = await Test.createTestingModule({ imports: [GrpcHealthModule.forRoot({ source })] }).compile();
    await moduleRef.init();
    server = new grpc.Server();
    moduleRef.get(GrpcHealthService).addToServer(server);
    client = new grpc.Client(await bindLoopback(server), grpc.credentials.createInsecure());
  });

  afterEach(async () => {
    client.close();
    await moduleRef.close();
    server.forceShutdown();
  });

  const check = (service: string) =>
    new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        identity,
        identity,
        request(service),
        { deadline: Date.now() + 5_000 },
        (error, reply) => (error ? reject(error) : resolve(reply!)),
      ),
    );

  it('encodes ServingStatus as field 1 varint', async () => {
    expect([...(await check(''))]).toEqual([0x08, 0x01]); // SERVING
    expect([...(await check('readiness'))]).toEqual([0x08, 0x02]); // NOT_SERVING
    await expect(check('missing')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('streams Watch as HealthCheckResponse messages', async () => {
    const stream = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', identity, identity, request('x'));
    const reader = new StreamReader(stream, (message: Buffer) => [...message]);
    expect(await reader.next()).toEqual([0x08, 0x03]); // SERVICE_UNKNOWN
    stream.cancel();
  });
});

@Controller()
class PingController {
  @GrpcMethod('Ping', 'Ping')
  ping({ text }: { text: string }) {
    return { text };
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

describe('withGrpcHealth on a Nest hybrid app', () => {
  let app: INestApplication;
  let address: string;
  let source: FakeHealthSource;
  let userHookRan: boolean;

  beforeEach(async () => {
    source = new FakeHealthSource({ '': 'HEALTHY', readiness: 'HEALTHY', liveness: 'HEALTHY', startup: 'HEALTHY' });
    const moduleRef = await Test.createTestingModule({
      imports: [PingModule, GrpcHealthModule.forRoot({ source })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    address = `127.0.0.1:${await freeLoopbackPort()}`;
    userHookRan = false;
    const grpcOptions: GrpcOptions = {
      transport: Transport.GRPC,
      options: {
        url: address,
        package: 'engined.test.v1',
        protoPath: PING_PROTO_PATH,
        gracefulShutdown: true,
        onLoadPackageDefinition: () => {
          userHookRan = true;
        },
      },
    };
    app.connectMicroservice(withGrpcHealth(app, grpcOptions));
    await app.startAllMicroservices();
    await app.init();
  });

  afterEach(async () => {
    await app.close(); // idempotent for the test that already closed it
  });

  it('serves Health next to the app services on the same port, keeping the user hook', async () => {
    const client = healthClient(address);
    expect(await client.check('')).toBe('SERVING');
    expect(await client.list()).toEqual({ '': 'SERVING', liveness: 'SERVING', readiness: 'SERVING', startup: 'SERVING' });
    expect(userHookRan).toBe(true);
    client.close();
  });

  it('app.close() with gracefulShutdown ends open Watch streams with a final NOT_SERVING', async () => {
    const client = healthClient(address);
    const watch = client.watch('liveness');
    expect(await watch.next()).toBe('SERVING');

    await app.close(); // would hang in tryShutdown if the Watch stream stayed open

    expect(await watch.next()).toBe('NOT_SERVING');
    expect((await watch.ended).code).toBe(grpc.status.OK);
    client.close();
  });
});

describe('withGrpcHealth on a pure Nest microservice', () => {
  it('serves Health and ends Watch streams when the microservice closes', async () => {
    const source = new FakeHealthSource({ '': 'HEALTHY' });
    const moduleRef = await Test.createTestingModule({
      imports: [PingModule, GrpcHealthModule.forRoot({ source })],
    }).compile();
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    // The app does not exist yet when the options are built; the hook resolves it at listen time.
    const microservice: INestMicroservice = moduleRef.createNestMicroservice(
      withGrpcHealth(() => microservice, {
        transport: Transport.GRPC,
        options: { url: address, package: 'engined.test.v1', protoPath: PING_PROTO_PATH, gracefulShutdown: true },
        logger: false as const,
      }),
    );
    await microservice.listen();
    const client = healthClient(address);
    const watch = client.watch('');
    expect(await watch.next()).toBe('SERVING');

    await microservice.close(); // closes the gRPC server before running the app's shutdown hooks

    expect(await watch.next()).toBe('NOT_SERVING');
    expect((await watch.ended).code).toBe(grpc.status.OK);
    client.close();
  });

  it('accepts the bare server options of a custom ServerGrpc strategy', async () => {
    const source = new FakeHealthSource({ readiness: 'UNHEALTHY' });
    const moduleRef = await Test.createTestingModule({
      imports: [PingModule, GrpcHealthModule.forRoot({ source })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    const strategy = new ServerGrpc(
      withGrpcHealth(app, { url: address, package: 'engined.test.v1', protoPath: PING_PROTO_PATH }),
    );
    app.connectMicroservice({ strategy });
    await app.init();
    await app.startAllMicroservices();
    const client = healthClient(address);
    expect(await client.check('readiness')).toBe('NOT_SERVING');
    client.close();
    await app.close();
  });
});

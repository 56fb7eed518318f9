import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { FakeClock } from '../testing/fake-clock.js';
import { GrpcServer, type GrpcServerOptions } from './grpc-server.js';

const PROTO = join(import.meta.dirname, '__fixtures__/echo.proto');

/** Echo's handler: answers at once, or when the test releases it (`text: 'hold'`). */
class Gate {
  private readonly held: (() => void)[] = [];
  private readonly entered: (() => void)[] = [];

  hold(): Promise<void> {
    for (const resolve of this.entered.splice(0)) resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }

  /** Resolves once a call is being held. */
  waitForHeldCall(): Promise<void> {
    return this.held.length > 0 ? Promise.resolve() : new Promise((resolve) => this.entered.push(resolve));
  }

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

const gate = new Gate();

@Controller()
class EchoController {
  @GrpcMethod('Echo', 'Echo')
  async echo({ text }: { text: string }): Promise<{ text: string }> {
    if (text === 'hold') await gate.hold();
    return { text };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

type EchoClient = grpc.Client & {
  Echo(request: { text: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ text: string }>): grpc.ClientUnaryCall;
};

function echoClient(target: string): EchoClient {
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)) as unknown as {
    resilience: { test: { v1: { Echo: new (target: string, credentials: grpc.ChannelCredentials) => EchoClient } } };
  };
  return new loaded.resilience.test.v1.Echo(target, grpc.credentials.createInsecure());
}

/** The call's outcome: the reply's text, or the status code name. */
function echo(client: EchoClient, text: string): Promise<string> {
  return new Promise((resolve) =>
    client.Echo({ text }, { deadline: Date.now() + 30_000 }, (error, reply) => resolve(error ? grpc.status[error.code] : reply!.text)),
  );
}

describe('GrpcServer', () => {
  const opened: { close(): unknown }[] = [];
  afterEach(async () => {
    gate.release();
    for (const resource of opened.splice(0).toReversed()) await resource.close();
  });

  async function start(
    options: Partial<GrpcServerOptions> = {},
  ): Promise<{ server: GrpcServer; app: INestMicroservice; client: EchoClient; target: string }> {
    const server = new GrpcServer({
      url: '127.0.0.1:0',
      package: 'resilience.test.v1',
      protoPath: PROTO,
      shutdownTimeoutMs: 1_000,
      ...options,
    });
    const moduleRef = await Test.createTestingModule({ imports: [EchoModule] }).compile();
    const app = moduleRef.createNestMicroservice({ strategy: server, logger: false });
    opened.push(app);
    await app.listen();
    const target = `127.0.0.1:${server.port}`;
    const client = echoClient(target);
    opened.push(client);
    return { server, app, client, target };
  }

  it('reports the port it bound for port 0, and only while listening', async () => {
    const server = new GrpcServer({ url: '127.0.0.1:0', package: 'resilience.test.v1', protoPath: PROTO, shutdownTimeoutMs: 0 });
    expect(() => server.port).toThrow('the gRPC server is not listening yet');
    const { server: listening, app, client } = await start();
    expect(listening.port).toBeGreaterThan(0);
    await expect(echo(client, 'hi')).resolves.toBe('hi');
    await app.close();
    expect(() => listening.port).toThrow('the gRPC server is not listening yet');
  });

  it('at close refuses new calls, lets an in-flight call finish, then resolves', async () => {
    const { app, client, target } = await start();
    const inFlight = echo(client, 'hold');
    await gate.waitForHeldCall();

    const closing = app.close();
    const late = echoClient(target);
    opened.push(late);
    await expect(echo(late, 'too late')).resolves.toBe('UNAVAILABLE');

    gate.release();
    await expect(inFlight).resolves.toBe('hold');
    await closing;
  });

  it('cuts off calls still running shutdownTimeoutMs (on the injected clock) after close began', async () => {
    const clock = new FakeClock();
    const { app, client } = await start({ shutdownTimeoutMs: 5_000, clock });
    const stuck = echo(client, 'hold');
    await gate.waitForHeldCall();

    const closing = app.close();
    clock.advance(4_999);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    await closing;
    expect(['CANCELLED', 'UNAVAILABLE']).toContain(await stuck);
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses a bad limit at construction, naming it', () => {
    expect(() => new GrpcServer({ url: '127.0.0.1:0', package: 'p', protoPath: PROTO, shutdownTimeoutMs: 0, limits: { maxConcurrentStreams: 0 } })).toThrow(
      'GrpcServer: option "limits.maxConcurrentStreams" must be an integer from 1 to 2147483647, got 0',
    );
  });

  it('fails to listen, naming the reason, on a grpc-js without the hook its connection limits need', async () => {
    const prototype = grpc.Server.prototype as unknown as { createHttp2Server?: unknown };
    const hook = prototype.createHttp2Server;
    delete prototype.createHttp2Server;
    try {
      await expect(start()).rejects.toThrow('GrpcServer: this @grpc/grpc-js has no Server.createHttp2Server; connection limits cannot be enforced');
    } finally {
      prototype.createHttp2Server = hook;
    }
  });

  it('passes the grpc-js options through: message size limits and channelOptions (server interceptors)', async () => {
    const seen: string[] = [];
    const interceptor: grpc.ServerInterceptor = (method, call) => {
      seen.push(method.path);
      return new grpc.ServerInterceptingCall(call);
    };
    // grpc-js' ServerOptions: ChannelOptions plus `interceptors`; Nest types only the former.
    const channelOptions = { interceptors: [interceptor] } as GrpcServerOptions['channelOptions'];
    const { client } = await start({ maxReceiveMessageLength: 64, channelOptions });
    await expect(echo(client, 'small')).resolves.toBe('small');
    await expect(echo(client, 'x'.repeat(100))).resolves.toBe('RESOURCE_EXHAUSTED');
    expect(seen[0]).toBe('/resilience.test.v1.Echo/Echo');
  });
});

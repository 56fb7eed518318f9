import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { EMPTY, Observable } from 'rxjs';
import { Test } from '@nestjs/testing';
import { FakeClock } from '../testing/fake-clock.js';
import { GrpcServer, type GrpcServerOptions } from './grpc-server.js';
import { currentIncomingCall, openIncomingCalls } from './incoming-call.js';

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
/** Settled when the server side of the latest `Stream` call has closed. */
let streamClosed = deferred();
/** Settled when `Whisper('empty')` has returned its empty observable. */
let emptyReturned = deferred();

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

@Controller()
class EchoController {
  @GrpcMethod('Echo', 'Echo')
  async echo({ text }: { text: string }): Promise<{ text: string }> {
    if (text.startsWith('hold')) await gate.hold();
    await Promise.resolve();
    return { text: text.endsWith('context?') ? contextSeen() : text };
  }

  @GrpcMethod('Echo', 'Stream')
  stream(_request: unknown, _metadata: unknown, call: { once(event: 'close', listener: () => void): void }): Observable<{ text: string }> {
    // Registered after GrpcServer's own 'close' listener, so it runs after it.
    call.once('close', () => streamClosed.resolve());
    return new Observable((subscriber) => subscriber.next({ text: currentIncomingCall() === undefined ? 'none' : 'in context' }));
  }

  @GrpcMethod('Echo', 'Whisper')
  async whisper({ text }: { text: string }): Promise<{ text: string } | Observable<never>> {
    // Nest never calls back for an empty observable: the call stays unanswered.
    if (text === 'empty') {
      emptyReturned.resolve();
      return EMPTY;
    }
    await Promise.resolve();
    return { text: contextSeen() };
  }
}

/** What a handler sees of its incoming call after an await: `deadline in Ns`, or `none`. */
function contextSeen(): string {
  const incoming = currentIncomingCall();
  return incoming === undefined ? 'none' : `deadline in ${Math.round(incoming.remainingMs() / 1_000)}s`;
}

@Module({ controllers: [EchoController] })
class EchoModule {}

type EchoClient = grpc.Client & {
  Echo(request: { text: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ text: string }>): grpc.ClientUnaryCall;
  Whisper(request: { text: string }, options: grpc.CallOptions, callback: grpc.requestCallback<{ text: string }>): grpc.ClientUnaryCall;
};

function echoClient(target: string): EchoClient {
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)) as unknown as {
    resilience: { test: { v1: { Echo: new (target: string, credentials: grpc.ChannelCredentials) => EchoClient } } };
  };
  return new loaded.resilience.test.v1.Echo(target, grpc.credentials.createInsecure());
}

/** The call's outcome: the reply's text, or the status code name. */
function echo(client: EchoClient, text: string, method: 'Echo' | 'Whisper' = 'Echo'): Promise<string> {
  return new Promise((resolve) =>
    client[method]({ text }, { deadline: Date.now() + 30_000 }, (error, reply) => resolve(error ? grpc.status[error.code] : reply!.text)),
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

  describe('incomingCallContext', () => {
    it('by default runs every method with its call as the current incoming call, across awaits', async () => {
      const { client } = await start();
      await expect(Promise.all([echo(client, 'context?'), echo(client, '', 'Whisper')])).resolves.toEqual(['deadline in 30s', 'deadline in 30s']);
      expect(openIncomingCalls()).toBe(0);
    });

    it('runs only the listed methods in their context ("Service/Method", with or without the package); false runs none', async () => {
      const { client } = await start({ incomingCallContext: ['Echo/Whisper'] });
      await expect(Promise.all([echo(client, 'context?'), echo(client, '', 'Whisper')])).resolves.toEqual(['none', 'deadline in 30s']);
      const qualified = await start({ incomingCallContext: ['resilience.test.v1.Echo/Echo'] });
      await expect(Promise.all([echo(qualified.client, 'context?'), echo(qualified.client, '', 'Whisper')])).resolves.toEqual(['deadline in 30s', 'none']);
      const none = await start({ incomingCallContext: false });
      await expect(Promise.all([echo(none.client, 'context?'), echo(none.client, '', 'Whisper')])).resolves.toEqual(['none', 'none']);
    });

    it('keeps a call in its context while another one answers, and opens it again for the next call', async () => {
      const { client } = await start({ incomingCallContext: ['Echo/Echo'] });
      const held = echo(client, 'hold, then context?');
      await gate.waitForHeldCall();
      expect(openIncomingCalls()).toBe(1);
      // Answered in between: the held call's context must survive it.
      await expect(echo(client, 'context?')).resolves.toBe('deadline in 30s');
      expect(openIncomingCalls()).toBe(1);
      gate.release();
      await expect(held).resolves.toBe('deadline in 30s');
      expect(openIncomingCalls()).toBe(0);
      await expect(echo(client, 'context?')).resolves.toBe('deadline in 30s');
      expect(openIncomingCalls()).toBe(0);
    });

    it('ends the context of a stream its client cancels (no finish), and of a handler that settles without answering', async () => {
      const { client } = await start({ incomingCallContext: ['Echo/Stream'] });
      streamClosed = deferred();
      const stream = (client as unknown as { Stream(request: { text: string }): grpc.ClientReadableStream<{ text: string }> }).Stream({ text: '' });
      stream.on('error', () => undefined);
      const [first] = await new Promise<{ text: string }[]>((resolve) => stream.once('data', (reply: { text: string }) => resolve([reply])));
      expect(first!.text).toBe('in context');
      expect(openIncomingCalls()).toBe(1);
      stream.cancel();
      await streamClosed.promise;
      expect(openIncomingCalls()).toBe(0);

      const unanswered = await start({ incomingCallContext: ['Echo/Whisper'] });
      emptyReturned = deferred();
      const call = unanswered.client.Whisper({ text: 'empty' }, {}, () => undefined);
      await emptyReturned.promise;
      // Nest's wrapper settles a few promise jobs later: let them run.
      await new Promise((resolve) => setImmediate(resolve));
      expect(openIncomingCalls()).toBe(0);
      call.cancel();
    });

    it('refuses a bad value at construction, and a name that matches no served method at listen, naming it', async () => {
      const base = { url: '127.0.0.1:0', package: 'p', protoPath: PROTO, shutdownTimeoutMs: 0 };
      expect(() => new GrpcServer({ ...base, incomingCallContext: ['Whisper'] })).toThrow(
        'GrpcServer: option "incomingCallContext[0]" must be a "Service/Method" name, e.g. "RecordService/EnrichRecord", got "Whisper"',
      );
      expect(() => new GrpcServer({ ...base, incomingCallContext: 'Echo/Echo' as never })).toThrow(
        'GrpcServer: option "incomingCallContext" must be true, false or a list of "Service/Method" names, got "Echo/Echo"',
      );
      await expect(start({ incomingCallContext: ['Echo/Echo', 'Echo/Shout'] })).rejects.toThrow(
        'GrpcServer: option "incomingCallContext" names no @GrpcMethod handler of this server (write "Service/Method"), got "Echo/Shout"',
      );
    });
  });
});

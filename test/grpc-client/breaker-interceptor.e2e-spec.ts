import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Inject, Injectable, Module } from '@nestjs/common';
import { type ClientGrpc, ClientsModule, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { join } from 'node:path';
import { firstValueFrom, type Observable } from 'rxjs';
import {
  BreakerRegistry,
  CircuitBreakerPolicy,
  CircuitState,
  InvalidOptionError,
  ResilienceModule,
  GRPC_RETRY_PUSHBACK_METADATA,
  RETRY_AFTER_MS_METADATA,
  RetryPolicy,
} from '@engined/resilience';
import { breakerInterceptor, type BreakerInterceptorOptions, grpcStatusClassification } from '@engined/resilience/grpc';
import { FakeClock } from '@engined/resilience/testing';
import { bindLoopback } from '../grpc-health/health-client.js';

const PROTO_PATH = join(import.meta.dirname, '../fixtures/breaker-test.proto');
const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH)) as unknown as {
  breakertest: { Records: grpc.ServiceClientConstructor };
};

interface RecordMessage {
  id: string;
  value: string;
}

type RecordsClient = grpc.Client & {
  Get(request: { id: string }, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<RecordMessage>): grpc.ClientUnaryCall;
  Watch(request: { id: string }, options?: grpc.CallOptions): grpc.ClientReadableStream<RecordMessage>;
};

/** What the scripted server does with the next call: answer, fail with a status (and trailing metadata), or hang. */
type Script = { answer: string } | { code: grpc.status; trailers?: Record<string, string> } | 'hang';

/** One call as the server saw it. */
interface Seen {
  readonly id: string;
  cancelled: boolean;
  readonly ended: Promise<void>;
}

/** A plain grpc-js Records server on loopback, following a script per call (the last entry repeats). */
class ScriptedServer {
  readonly seen: Seen[] = [];
  script: Script[] = [{ answer: 'ok' }];

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    const server = new grpc.Server();
    let self!: ScriptedServer;
    server.addService(loaded.breakertest.Records.service, {
      Get: (call: grpc.ServerUnaryCall<{ id: string }, RecordMessage>, callback: grpc.sendUnaryData<RecordMessage>) => self.handle(call, callback),
      Watch: (call: grpc.ServerWritableStream<{ id: string }, RecordMessage>) => {
        const step = self.next(call);
        if (step === 'hang') return;
        if ('answer' in step) {
          call.write({ id: call.request.id, value: step.answer });
          call.write({ id: call.request.id, value: `${step.answer}-2` });
          call.end();
        } else call.emit('error', { code: step.code, details: 'scripted' });
      },
    });
    self = new ScriptedServer(server, await bindLoopback(server));
    return self;
  }

  private next(call: grpc.ServerUnaryCall<{ id: string }, RecordMessage> | grpc.ServerWritableStream<{ id: string }, RecordMessage>): Script {
    let markEnded!: () => void;
    const seen: Seen = { id: call.request.id, cancelled: false, ended: new Promise((resolve) => (markEnded = resolve)) };
    call.on('cancelled', () => {
      seen.cancelled = true;
      markEnded();
    });
    this.seen.push(seen);
    return this.script[Math.min(this.seen.length - 1, this.script.length - 1)]!;
  }

  private handle(call: grpc.ServerUnaryCall<{ id: string }, RecordMessage>, callback: grpc.sendUnaryData<RecordMessage>): void {
    const step = this.next(call);
    if (step === 'hang') return;
    if ('answer' in step) {
      callback(null, { id: call.request.id, value: step.answer });
      return;
    }
    const metadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(step.trailers ?? {})) metadata.set(key, value);
    callback({ code: step.code, details: `scripted ${grpc.status[step.code]}`, metadata });
  }

  close(): void {
    this.server.forceShutdown();
  }
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).toReversed()) await close();
});

async function setup(policy: CircuitBreakerPolicy, options?: BreakerInterceptorOptions) {
  const server = await ScriptedServer.start();
  const client = new loaded.breakertest.Records(server.address, grpc.credentials.createInsecure(), {
    interceptors: [breakerInterceptor(policy, options)],
  }) as unknown as RecordsClient;
  closers.push(() => server.close(), () => client.close());
  return { server, client };
}

/** One unary Get, settled into its status, message, trailing metadata and the call object. */
function get(client: RecordsClient, id: string, options: grpc.CallOptions = { deadline: Date.now() + 10_000 }) {
  let trailers: grpc.Metadata | undefined;
  let call!: grpc.ClientUnaryCall;
  const done = new Promise<{ code: grpc.status; value?: string; details?: string; trailers?: grpc.Metadata }>((resolve) => {
    call = client.Get({ id }, new grpc.Metadata(), options, (error, response) =>
      resolve(error ? { code: error.code, details: error.details, trailers: error.metadata } : { code: grpc.status.OK, value: response!.value }),
    );
    call.on('status', (status: grpc.StatusObject) => (trailers = status.metadata));
  });
  return { call, done, trailers: () => trailers };
}

/** Polls `done` on the event loop until it holds or `ms` pass (a real server is involved: bounded, condition-driven). */
async function until(done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function breaker(options: ConstructorParameters<typeof CircuitBreakerPolicy>[0] = {}): CircuitBreakerPolicy {
  const policy = new CircuitBreakerPolicy({ name: 'records', window: { kind: 'consecutive', failures: 2 }, openDurationMs: 60_000, ...options });
  closers.push(() => policy.dispose());
  return policy;
}

describe('breakerInterceptor (grpc-js client, real loopback server)', () => {
  describe('unary calls', () => {
    it('passes an answer through and counts a success', async () => {
      const policy = breaker();
      const { client, server } = await setup(policy);
      await expect(get(client, 'a').done).resolves.toEqual({ code: grpc.status.OK, value: 'ok' });
      expect(server.seen.map((s) => s.id)).toEqual(['a']);
      expect(policy.metrics().calls).toMatchObject({ successful: 1, failed: 0 });
    });

    it('counts UNAVAILABLE as a failure, ignores the caller-side codes, and once open answers UNAVAILABLE with retry-after-ms without calling the server', async () => {
      const clock = new FakeClock();
      const policy = breaker({ clock });
      const { client, server } = await setup(policy);
      for (const code of [grpc.status.NOT_FOUND, grpc.status.INVALID_ARGUMENT, grpc.status.ALREADY_EXISTS, grpc.status.PERMISSION_DENIED, grpc.status.UNAUTHENTICATED, grpc.status.FAILED_PRECONDITION]) {
        server.script = [{ code }];
        expect((await get(client, 'x').done).code).toBe(code);
      }
      expect(policy.metrics().calls).toMatchObject({ failed: 0, ignored: 6 });
      expect(policy.state).toBe(CircuitState.CLOSED);

      server.script = [{ code: grpc.status.UNAVAILABLE }];
      await get(client, 'x').done;
      await get(client, 'x').done;
      expect(policy.state).toBe(CircuitState.OPEN);
      const callsBefore = server.seen.length;
      clock.advance(1_000);
      const rejected = await get(client, 'x').done;
      expect(rejected).toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('Circuit breaker "records" is OPEN') });
      expect(rejected.trailers!.get(RETRY_AFTER_MS_METADATA)).toEqual(['59000']);
      expect(rejected.trailers!.get(GRPC_RETRY_PUSHBACK_METADATA)).toEqual(['59000']);
      expect(server.seen).toHaveLength(callsBefore);
      expect(policy.metrics().calls).toMatchObject({ failed: 2, notPermitted: 1 });
    });

    it('counts DEADLINE_EXCEEDED, INTERNAL, UNKNOWN and RESOURCE_EXHAUSTED as failures; RESOURCE_EXHAUSTED can be ignored', async () => {
      const policy = breaker({ window: { kind: 'count', size: 100 }, minimumCalls: 100 });
      const { client, server } = await setup(policy);
      for (const code of [grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.RESOURCE_EXHAUSTED]) {
        server.script = [{ code }];
        await get(client, 'x').done;
      }
      server.script = ['hang'];
      expect((await get(client, 'x', { deadline: Date.now() + 50 }).done).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(policy.metrics().calls).toMatchObject({ failed: 4, ignored: 0 });

      const lenient = breaker({ name: 'lenient' });
      const other = await setup(lenient, { classification: { resourceExhausted: 'ignore' } });
      other.server.script = [{ code: grpc.status.RESOURCE_EXHAUSTED }];
      await get(other.client, 'x').done;
      expect(lenient.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    });

    it('ignores a call the caller cancels: the server sees it cancelled, the breaker does not count it', async () => {
      const policy = breaker();
      const { client, server } = await setup(policy);
      server.script = ['hang'];
      const call = get(client, 'x');
      await until(() => server.seen.length === 1);
      call.call.cancel();
      expect((await call.done).code).toBe(grpc.status.CANCELLED);
      await server.seen[0]!.ended;
      expect(server.seen[0]!.cancelled).toBe(true);
      expect(policy.metrics().calls).toMatchObject({ failed: 0, ignored: 1 });
    });

    it("cancels a call on the wire at the breaker's timeout (injected clock), answers DEADLINE_EXCEEDED and counts a timeout", async () => {
      const clock = new FakeClock();
      const policy = breaker({ clock, timeoutMs: 1_000 });
      const { client, server } = await setup(policy);
      server.script = ['hang'];
      const call = get(client, 'x');
      await until(() => server.seen.length === 1);
      clock.advance(1_000 + 50);
      const answer = await call.done;
      expect(answer).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, details: expect.stringContaining('timed out after 1000 ms') });
      await server.seen[0]!.ended;
      expect(server.seen[0]!.cancelled).toBe(true);
      expect(policy.metrics().calls).toMatchObject({ failed: 1, timedOut: 1 });
    });

    it('gives calls made without a deadline the default deadlineMs', async () => {
      const policy = breaker();
      const { client, server } = await setup(policy, { deadlineMs: 100 });
      server.script = ['hang'];
      const started = Date.now();
      expect((await get(client, 'x', {}).done).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(policy.metrics().calls.failed).toBe(1);
    });
  });

  describe('unary retries', () => {
    it('retries UNAVAILABLE, each attempt through the breaker, and answers from the attempt that succeeded', async () => {
      const policy = breaker({ window: { kind: 'consecutive', failures: 5 } });
      const retry = new RetryPolicy({ name: 'records', maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0 }, budget: false });
      const { client, server } = await setup(policy, { retry });
      server.script = [{ code: grpc.status.UNAVAILABLE }, { code: grpc.status.UNAVAILABLE }, { answer: 'third time' }];
      await expect(get(client, 'x').done).resolves.toEqual({ code: grpc.status.OK, value: 'third time' });
      expect(server.seen).toHaveLength(3);
      expect(policy.metrics().calls).toMatchObject({ failed: 2, successful: 1 });
      expect(retry.metrics()).toMatchObject({ retries: 2, calls: { successfulAfterRetry: 1 } });
    });

    it('does not retry codes outside retryOn (grpcRetryOn: not INVALID_ARGUMENT, not DEADLINE_EXCEEDED)', async () => {
      const policy = breaker();
      const { client, server } = await setup(policy, { retry: { maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0 }, budget: false } });
      server.script = [{ code: grpc.status.INVALID_ARGUMENT }];
      expect((await get(client, 'x').done).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(server.seen).toHaveLength(1);
    });

    it('obeys grpc-retry-pushback-ms on the retry clock, and never waits past the call deadline', async () => {
      const clock = new FakeClock();
      const policy = breaker({ window: { kind: 'consecutive', failures: 5 } });
      const retry = new RetryPolicy({ name: 'records', clock, maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1 }, budget: false });
      const { client, server } = await setup(policy, { retry });
      server.script = [{ code: grpc.status.UNAVAILABLE, trailers: { 'grpc-retry-pushback-ms': '500' } }, { answer: 'after pushback' }];
      const call = get(client, 'x');
      await until(() => server.seen.length === 1 && clock.pendingTimers === 1);
      clock.advance(499);
      expect(server.seen).toHaveLength(1);
      clock.advance(1);
      await expect(call.done).resolves.toEqual({ code: grpc.status.OK, value: 'after pushback' });

      // A pushback longer than what is left of the deadline: not retried.
      server.script = [{ code: grpc.status.UNAVAILABLE, trailers: { 'grpc-retry-pushback-ms': '5000' } }];
      const seenBefore = server.seen.length;
      expect((await get(client, 'y', { deadline: Date.now() + 2_000 }).done).code).toBe(grpc.status.UNAVAILABLE);
      expect(server.seen).toHaveLength(seenBefore + 1);
      expect(retry.metrics().calls.deadline).toBe(1);
    });

    it("stops retrying at an open breaker whose retry-after is beyond maxRetryAfterMs", async () => {
      const policy = breaker();
      const { client, server } = await setup(policy, { retry: { maxAttempts: 5, backoff: { kind: 'constant', delayMs: 0 }, budget: false } });
      server.script = [{ code: grpc.status.UNAVAILABLE }];
      const answer = await get(client, 'x').done;
      // Two failures open the breaker (60 s); the third attempt is rejected and not waited for.
      expect(server.seen).toHaveLength(2);
      expect(answer).toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('is OPEN') });
    });
  });

  describe('streaming calls', () => {
    it('takes one permit per call: a stream that ends OK is a success, one that fails UNAVAILABLE a failure; open, it never reaches the server', async () => {
      const policy = breaker();
      const { client, server } = await setup(policy);
      const read = (id: string) =>
        new Promise<{ values: string[]; code: grpc.status }>((resolve) => {
          const values: string[] = [];
          const stream = client.Watch({ id }, { deadline: Date.now() + 10_000 });
          stream.on('data', (message: RecordMessage) => values.push(message.value));
          stream.on('error', (error: grpc.ServiceError) => resolve({ values, code: error.code }));
          stream.on('end', () => resolve({ values, code: grpc.status.OK }));
        });
      await expect(read('a')).resolves.toEqual({ values: ['ok', 'ok-2'], code: grpc.status.OK });
      server.script = [{ code: grpc.status.UNAVAILABLE }];
      await read('b');
      await read('c');
      expect(policy.metrics().calls).toMatchObject({ successful: 1, failed: 2 });
      expect(policy.state).toBe(CircuitState.OPEN);
      const seen = server.seen.length;
      await expect(read('d')).resolves.toEqual({ values: [], code: grpc.status.UNAVAILABLE });
      expect(server.seen).toHaveLength(seen);
    });
  });

  describe('with Nest: ClientsModule / ClientGrpc and the app registry', () => {
    interface RecordsService {
      get(request: { id: string }): Observable<RecordMessage>;
    }

    it('guards every method of a ClientGrpc service and feeds the breaker the app registry holds', async () => {
      const server = await ScriptedServer.start();
      closers.push(() => server.close());

      @Injectable()
      class Reader {
        constructor(@Inject('RECORDS') private readonly client: ClientGrpc) {}
        read(id: string): Promise<RecordMessage> {
          return firstValueFrom(this.client.getService<RecordsService>('Records').get({ id }));
        }
      }

      @Module({
        imports: [
          ResilienceModule.forRoot({ profiles: { records: { window: { kind: 'consecutive', failures: 1 }, ...grpcStatusClassification() } } }),
          ClientsModule.registerAsync([
            {
              name: 'RECORDS',
              inject: [BreakerRegistry],
              useFactory: (breakers: BreakerRegistry) => ({
                transport: Transport.GRPC,
                options: {
                  url: server.address,
                  package: 'breakertest',
                  protoPath: PROTO_PATH,
                  channelOptions: { interceptors: [breakerInterceptor(breakers.getOrCreate('records', { profile: 'records' }))] },
                },
              }),
            },
          ]),
        ],
        providers: [Reader],
      })
      class AppModule {}

      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      closers.push(() => app.close());
      const reader = app.get(Reader);
      await expect(reader.read('a')).resolves.toEqual({ id: 'a', value: 'ok' });
      server.script = [{ code: grpc.status.UNAVAILABLE }];
      await expect(reader.read('b')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      const records = app.get(BreakerRegistry).get('records')!;
      expect(records.state).toBe(CircuitState.OPEN);
      await expect(reader.read('c')).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: expect.stringContaining('is OPEN') });
      expect(server.seen).toHaveLength(2);
    });

    it('resolves a breaker given by name at the first call', async () => {
      const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()] }).compile();
      await moduleRef.init();
      closers.push(() => moduleRef.close());
      const registry = moduleRef.get(BreakerRegistry);
      const server = await ScriptedServer.start();
      const client = new loaded.breakertest.Records(server.address, grpc.credentials.createInsecure(), {
        interceptors: [breakerInterceptor('lazy', { registry })],
      }) as unknown as RecordsClient;
      closers.push(() => server.close(), () => client.close());
      expect(registry.get('lazy')).toBeUndefined();
      await get(client, 'a').done;
      expect(registry.get('lazy')!.metrics().calls.successful).toBe(1);
    });
  });

  it.each([
    [['records', {}], 'breakerInterceptor(): option "registry" must be a BreakerRegistry to find the breaker named "records", got undefined'],
    [[42, {}], 'breakerInterceptor(): option "breaker" must be a CircuitBreakerPolicy or the name of one, got 42'],
    [[null, { deadlineMs: 0 }], 'breakerInterceptor(): option "deadlineMs" must be a positive finite number of ms, got 0'],
    [[null, { retries: 3 }], 'breakerInterceptor(): option "retries" is not an option, got 3'],
  ])('rejects bad arguments at construction: %j', (args, message) => {
    const [target, options] = args as [unknown, BreakerInterceptorOptions];
    const policy = target === null ? new CircuitBreakerPolicy() : target;
    expect(() => breakerInterceptor(policy as string, options)).toThrow(InvalidOptionError);
    expect(() => breakerInterceptor(policy as string, options)).toThrow(message);
  });
});

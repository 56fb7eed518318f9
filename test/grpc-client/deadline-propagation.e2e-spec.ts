import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, Injectable, type INestMicroservice } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { join } from 'node:path';
import { BreakerSignal, CircuitBreaker, CircuitBreakerPolicy, ResilienceModule } from '@engined/resilience';
import { breakerInterceptor, currentIncomingCall, GrpcServer } from '@engined/resilience/grpc';
import { bindLoopback } from '../grpc-health/health-client.js';
import { within } from '../support/within.js';

/**
 * Issue 14 §3 over real sockets: a client calls a front service (a Nest microservice on `GrpcServer`), whose
 * handler calls a downstream service through a client with `breakerInterceptor`. The incoming call's deadline
 * caps the downstream call's, and a client cancel reaches the handler's `@BreakerSignal()` signal and the
 * downstream (CANCELLED there).
 */
/** The downstream client's own deadline (`deadlineMs`): far above any capped one, so the two never blur under load. */
const OWN_DEADLINE_MS = 30_000;
/** The front caller's deadline in the capping tests. */
const CALLER_DEADLINE_MS = 3_000;
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
};

/** One call as the downstream saw it: the time it had left on arrival, and whether it ended cancelled. */
interface Arrival {
  id: string;
  remainingMs: number;
  cancelled: Promise<true>;
}

/** The downstream: answers `ok:*` ids at once, holds the others until they are cancelled or time out. */
class Downstream {
  readonly arrivals: Arrival[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(): Promise<Downstream> {
    const server = new grpc.Server();
    let self!: Downstream;
    server.addService(loaded.breakertest.Records.service, {
      Get: (call: grpc.ServerUnaryCall<{ id: string }, RecordMessage>, callback: grpc.sendUnaryData<RecordMessage>) => {
        const deadline = call.getDeadline();
        const at = deadline instanceof Date ? deadline.getTime() : deadline;
        const cancelled = new Promise<true>((resolve) => call.on('cancelled', () => resolve(true)));
        self.arrivals.push({ id: call.request.id, remainingMs: at - Date.now(), cancelled });
        for (const wake of self.waiters) wake();
        if (call.request.id.startsWith('ok:')) callback(null, { id: call.request.id, value: 'downstream' });
      },
    });
    self = new Downstream(server, await bindLoopback(server));
    return self;
  }

  /** The first arrival of `id`, once it has come. */
  async arrival(id: string): Promise<Arrival> {
    for (;;) {
      const found = this.arrivals.find((a) => a.id === id);
      if (found) return found;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  close(): void {
    this.server.forceShutdown();
  }
}

/** How the front's downstream client is set up by each test. */
const wiring: { client?: RecordsClient; breaker?: CircuitBreakerPolicy } = {};
/** The signals the front's `@BreakerSignal()` method was given, by id. */
const signals = new Map<string, AbortSignal>();

function callDownstream(id: string, signal?: AbortSignal): Promise<RecordMessage> {
  return new Promise((resolve, reject) => {
    // No deadline of its own here: the interceptor's deadlineMs applies, capped by the incoming call's.
    const call = wiring.client!.Get({ id }, new grpc.Metadata(), {}, (error, reply) => (error ? reject(error) : resolve(reply!)));
    signal?.addEventListener('abort', () => call.cancel(), { once: true });
  });
}

@Injectable()
class Gateway {
  /** The work a front call starts: its signal is the incoming call's, handed in by the handler. */
  @CircuitBreaker({ name: 'gateway' })
  async fetch(id: string, @BreakerSignal() signal?: AbortSignal): Promise<RecordMessage> {
    signals.set(id, signal!);
    return callDownstream(id);
  }
}

@Controller()
class FrontController {
  constructor(private readonly gateway: Gateway) {}

  @GrpcMethod('Records', 'Get')
  async get({ id }: { id: string }): Promise<RecordMessage> {
    if (id.startsWith('later:')) {
      // Work that outlives the call: it must not inherit the call's deadline once the call is answered.
      setTimeout(() => void callDownstream(id).catch(() => undefined), 50);
      return { id, value: 'answered' };
    }
    const reply = await this.gateway.fetch(id, currentIncomingCall()?.signal);
    return { id, value: `front+${reply.value}` };
  }
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).toReversed()) await close();
  signals.clear();
});

async function setup(propagate?: boolean) {
  const downstream = await Downstream.start();
  closers.push(() => downstream.close());
  const breaker = new CircuitBreakerPolicy({ name: 'downstream', window: { kind: 'consecutive', failures: 1 } });
  const interceptor = breakerInterceptor(breaker, { deadlineMs: OWN_DEADLINE_MS, ...(propagate === undefined ? {} : { propagate }) });
  wiring.client = new loaded.breakertest.Records(downstream.address, grpc.credentials.createInsecure(), { interceptors: [interceptor] }) as unknown as RecordsClient;
  wiring.breaker = breaker;
  closers.push(() => wiring.client!.close());

  const server = new GrpcServer({ url: '127.0.0.1:0', package: 'breakertest', protoPath: PROTO_PATH, shutdownTimeoutMs: 2_000 });
  const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()], controllers: [FrontController], providers: [Gateway] }).compile();
  const app: INestMicroservice = moduleRef.createNestMicroservice({ strategy: server, logger: false });
  await app.listen();
  closers.push(() => app.close());
  const front = new loaded.breakertest.Records(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as unknown as RecordsClient;
  closers.push(() => front.close());
  const call = (id: string, deadlineMs: number) => {
    let started!: grpc.ClientUnaryCall;
    const done = new Promise<{ code: grpc.status; value?: string }>((resolve) => {
      started = front.Get({ id }, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, reply) =>
        resolve(error ? { code: error.code } : { code: grpc.status.OK, value: reply!.value }),
      );
    });
    return { done, cancel: () => started.cancel() };
  };
  return { downstream, breaker, call };
}

describe('deadlines and cancellation across a GrpcServer handler and breakerInterceptor (real sockets)', () => {
  it('gives the downstream call at most the time the incoming call has left, not its own 30 s', async () => {
    const { downstream, call } = await setup();
    // A few seconds rather than the 300 ms: at load 30 a call can take longer than that to reach the handler,
    // which then (rightly) starts no downstream call at all.
    const outcome = call('slow:1', CALLER_DEADLINE_MS).done;
    const arrival = await within(downstream.arrival('slow:1'), 15_000, 'the downstream call');
    expect(arrival.remainingMs).toBeLessThanOrEqual(CALLER_DEADLINE_MS);
    // The front's caller runs out of time; the downstream call ends with it (cancelled there, not left running).
    await expect(within(outcome, 15_000, 'the front call')).resolves.toEqual({ code: grpc.status.DEADLINE_EXCEEDED });
    await expect(within(arrival.cancelled, 15_000, 'the downstream call cancelled')).resolves.toBe(true);
  });

  it('does not count a DEADLINE_EXCEEDED that the caller’s deadline caused as a failure of the downstream', async () => {
    const { downstream, breaker, call } = await setup();
    await within(call('slow:2', CALLER_DEADLINE_MS).done, 15_000, 'the front call');
    await within(downstream.arrival('slow:2'), 15_000, 'the downstream call');
    await expect(within(call('ok:after', 5_000).done, 5_000, 'the next front call')).resolves.toEqual({ code: grpc.status.OK, value: 'front+downstream' });
    // One failure would have opened this breaker (consecutive, 1).
    expect(breaker.metrics().calls).toMatchObject({ failed: 0, successful: 1 });
  });

  it('aborts the @BreakerSignal() signal of the work a cancelled call started, and the downstream sees CANCELLED', async () => {
    const { downstream, breaker, call } = await setup();
    const front = call('slow:3', 10_000);
    const arrival = await within(downstream.arrival('slow:3'), 5_000, 'the downstream call');
    expect(signals.get('slow:3')!.aborted).toBe(false);
    front.cancel();
    await expect(within(arrival.cancelled, 5_000, 'the downstream call cancelled')).resolves.toBe(true);
    expect(signals.get('slow:3')!.aborted).toBe(true);
    await expect(front.done).resolves.toEqual({ code: grpc.status.CANCELLED });
    expect(breaker.metrics().calls.failed).toBe(0);
  });

  it('leaves calls made outside a handler, after its answer, or with propagate: false with their own deadline', async () => {
    const { downstream, call } = await setup();
    // Outside any incoming call.
    void callDownstream('slow:outside').catch(() => undefined);
    expect((await within(downstream.arrival('slow:outside'), 5_000, 'the outside call')).remainingMs).toBeGreaterThan(10_000);
    // Armed by a handler, made after its answer: had it inherited the call, it would have at most 5 s.
    await expect(call('later:1', 5_000).done).resolves.toEqual({ code: grpc.status.OK, value: 'answered' });
    expect((await within(downstream.arrival('later:1'), 5_000, 'the later call')).remainingMs).toBeGreaterThan(10_000);
    for (const close of closers.splice(0).toReversed()) await close();

    const off = await setup(false);
    const outcome = off.call('slow:4', 200).done;
    expect((await within(off.downstream.arrival('slow:4'), 5_000, 'the unpropagated call')).remainingMs).toBeGreaterThan(10_000);
    await within(outcome, 5_000, 'the front call');
  });
});

import { createServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Subject } from 'rxjs';
import type { GrpcHealthSource, GrpcHealthUpdate, HealthStatusName } from '@engined/resilience/grpc';

/** The repository's copy of the official `grpc/health/v1/health.proto`. */
export const HEALTH_PROTO_PATH = join(import.meta.dirname, '../../proto/grpc/health/v1/health.proto');
export const PING_PROTO_PATH = join(import.meta.dirname, 'fixtures/ping.proto');

/** A health source the test drives by hand. */
export class FakeHealthSource implements GrpcHealthSource {
  private readonly statuses = new Map<string, HealthStatusName>();
  readonly updates$ = new Subject<GrpcHealthUpdate>();

  constructor(initial: Record<string, HealthStatusName> = {}) {
    for (const [service, status] of Object.entries(initial)) this.statuses.set(service, status);
  }

  current(): Iterable<readonly [string, HealthStatusName]> {
    return this.statuses.entries();
  }

  set(service: string, status: HealthStatusName): void {
    this.statuses.set(service, status);
    this.updates$.next({ service, status });
  }

  remove(service: string): void {
    this.statuses.delete(service);
    this.updates$.next({ service, status: undefined });
  }
}

type Status = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
interface HealthClient extends grpc.Client {
  Check(request: { service: string }, options: grpc.CallOptions, cb: grpc.requestCallback<{ status: Status }>): void;
  List(request: object, options: grpc.CallOptions, cb: grpc.requestCallback<{ statuses: Record<string, { status: Status }> }>): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: Status }>;
}

const deadline = () => ({ deadline: Date.now() + 5_000 });

/** A plain grpc-js client built from the official proto file, as any user would write one. */
export function healthClient(address: string) {
  const definition = protoLoader.loadSync(HEALTH_PROTO_PATH, { keepCase: true, enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } };
  };
  const client = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  const streams: grpc.ClientReadableStream<unknown>[] = [];
  return {
    check: (service: string) =>
      new Promise<Status>((resolve, reject) =>
        client.Check({ service }, deadline(), (error, reply) => (error ? reject(error) : resolve(reply!.status))),
      ),
    list: () =>
      new Promise<Record<string, Status>>((resolve, reject) =>
        client.List({}, deadline(), (error, reply) =>
          error
            ? reject(error)
            : resolve(Object.fromEntries(Object.entries(reply!.statuses).map(([name, { status }]) => [name, status]))),
        ),
      ),
    watch: (service: string) => {
      const stream = client.Watch({ service });
      streams.push(stream);
      return new StreamReader(stream, (message: { status: Status }) => message.status);
    },
    close: () => {
      for (const stream of streams) stream.cancel();
      client.close();
    },
  };
}

/** Reads a server stream message by message; `ended` settles with the call's final status. */
export class StreamReader<TMessage, TValue> {
  private readonly buffered: TValue[] = [];
  private readonly waiting: ((value: TValue) => void)[] = [];
  readonly ended: Promise<grpc.StatusObject>;

  constructor(stream: grpc.ClientReadableStream<TMessage>, map: (message: TMessage) => TValue) {
    stream.on('data', (message: TMessage) => {
      const value = map(message);
      const waiter = this.waiting.shift();
      if (waiter) waiter(value);
      else this.buffered.push(value);
    });
    // Cancelling at the end of a test surfaces as an error; the status below is what tests read.
    stream.on('error', () => {});
    this.ended = new Promise((resolve) => stream.on('status', resolve));
  }

  /** The next message (already received or still to come). */
  next(): Promise<TValue> {
    const value = this.buffered.shift();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Messages received and not yet read. */
  get unread(): readonly TValue[] {
    return this.buffered;
  }
}

/** Binds a grpc-js server on an ephemeral loopback port. */
export function bindLoopback(server: grpc.Server): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(`127.0.0.1:${port}`),
    ),
  );
}

/**
 * A free loopback port, for Nest's ServerGrpc, which binds `url` itself and does not report the
 * port it got for `:0`.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

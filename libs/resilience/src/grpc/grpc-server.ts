import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { ChannelOptions, Server, ServerCredentials } from '@grpc/grpc-js';
import { type GrpcOptions, ServerGrpc } from '@nestjs/microservices';
import { type Clock, systemClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { ConnectionGuard } from './connection-guard.js';
import { runInIncomingCall, type ServerCallLike } from './incoming-call.js';
import { loadGrpcJs } from './grpc-js.loader.js';
import { type GrpcServerLimits, type ResolvedGrpcServerLimits, grpcJsLimitOptions, resolveGrpcServerLimits } from './grpc-server.limits.js';

/** `GrpcOptions['options']` plus how long a graceful shutdown may take, and what one client may hold. */
export type GrpcServerOptions = GrpcOptions['options'] & {
  /** In-flight calls get this long to finish at shutdown; then they are cut off (`forceShutdown`). */
  shutdownTimeoutMs: number;
  /** Time source of that deadline. Default the system clock; tests pass a `FakeClock`. */
  clock?: Clock;
  /**
   * Limits per connection and per call, each with a default (see {@link GrpcServerLimits}). They win over
   * the same grpc-js keys in `channelOptions`.
   */
  limits?: GrpcServerLimits;
  /**
   * Which methods run with their call as the current incoming call (`currentIncomingCall()`: the deadline and
   * cancellation `breakerInterceptor` carries to the downstream calls a handler makes). `true` (default): every
   * method; `false`: none; or the methods that call other services, as `'Service/Method'` (`'RecordService/EnrichRecord'`)
   * or with the package (`'engined.v1.RecordService/EnrichRecord'`). On Node 20 and 22 the context costs every
   * promise of the process while a call is in one (async hooks), ~20 µs per call in the sample daemon: list the
   * methods that need it. A name that matches no served method fails `listen()`.
   */
  incomingCallContext?: boolean | readonly string[];
};

/** `'Service/Method'`, the service optionally package-qualified. */
const METHOD_NAME = /^[A-Za-z_][\w.]*\/[A-Za-z_]\w*$/;

/** grpc-js' `Server` makes one Node HTTP/2 server per bound address through this (private) method. */
interface Http2ServerFactory {
  createHttp2Server?: (credentials: ServerCredentials) => Http2Server | Http2SecureServer;
}

/**
 * Nest's gRPC transport (`ServerGrpc`, on grpc-js) with what a daemon needs on top:
 * - {@link port} reports the bound port, so a configured port 0 works (tests use ephemeral ports);
 * - `close()` shuts down gracefully (no new calls, in-flight calls finish) but never waits longer
 *   than `shutdownTimeoutMs`: an open stream would otherwise hold the process forever;
 * - hostile or broken clients are held to {@link GrpcServerLimits} (streams per connection, memory, idle
 *   connections, PING floods, requests that never arrive), and connections Node's HTTP/2 layer abandons
 *   after a protocol error are closed instead of leaking a file descriptor each (see `ConnectionGuard`).
 *
 * Everything else is `ServerGrpc`'s, options included (`channelOptions` reach the grpc-js `Server`,
 * server `interceptors` too). Use it as a custom strategy:
 *
 * ```ts
 * const grpc = new GrpcServer(withGrpcHealth(app, { url: '0.0.0.0:0', package, protoPath, shutdownTimeoutMs: 10_000 }));
 * app.connectMicroservice({ strategy: grpc }, { inheritAppConfig: true });
 * await app.startAllMicroservices();
 * console.log(`gRPC on port ${grpc.port}`);
 * ```
 */
export class GrpcServer extends ServerGrpc {
  #port: number | undefined;
  readonly #serverOptions: GrpcServerOptions;
  readonly #limits: ResolvedGrpcServerLimits;
  #guard: ConnectionGuard | undefined;
  /** `true` / `false` for every method, or the `incomingCallContext` names, each with whether a served method matched it. */
  readonly #contexts: boolean | Map<string, boolean>;

  /** @throws InvalidOptionError for a bad `limits` field. */
  constructor(options: GrpcServerOptions) {
    const { shutdownTimeoutMs: _timeout, clock: _clock, limits, incomingCallContext, ...grpcOptions } = options;
    const resolved = resolveGrpcServerLimits(limits);
    const contexts = resolveIncomingCallContext(incomingCallContext);
    super({ ...grpcOptions, gracefulShutdown: true });
    this.#serverOptions = options;
    this.#limits = resolved;
    this.#contexts = contexts;
  }

  /** HTTP/2 connections open now (those closing count until their socket has closed). */
  get openConnections(): number {
    return this.#guard?.connections ?? 0;
  }

  /** The limits in force, defaults applied. */
  get limits(): Readonly<ResolvedGrpcServerLimits> {
    return this.#limits;
  }

  /** The port the server listens on; available while it listens. */
  get port(): number {
    if (this.#port === undefined) throw new Error('the gRPC server is not listening yet');
    return this.#port;
  }

  // ServerGrpc.createClient, keeping the port bindAsync reports.
  override async createClient(): Promise<Server> {
    const { Server, ServerCredentials } = loadGrpcJs();
    const o = this.#serverOptions;
    const channelOptions: ChannelOptions = {
      ...o.channelOptions,
      ...this.getKeepaliveOptions(),
      ...(o.maxSendMessageLength ? { 'grpc.max_send_message_length': o.maxSendMessageLength } : {}),
      ...(o.maxReceiveMessageLength ? { 'grpc.max_receive_message_length': o.maxReceiveMessageLength } : {}),
      ...(o.maxMetadataSize ? { 'grpc.max_metadata_size': o.maxMetadataSize } : {}),
      ...grpcJsLimitOptions(this.#limits),
    };
    const server = new Server(channelOptions);
    this.#guard = guardConnections(server, new ConnectionGuard(this.#limits));
    this.#port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.url, (o.credentials as ServerCredentials | undefined) ?? ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    return server;
  }

  // Each handler (of a method in `incomingCallContext`) runs inside its call's context, which ends with the answer
  // (callback, or the stream's end).
  override createServiceMethod(...parameters: Parameters<ServerGrpc['createServiceMethod']>): ReturnType<ServerGrpc['createServiceMethod']> {
    const method = super.createServiceMethod(...parameters) as (call: unknown, callback?: unknown) => unknown;
    if (!this.#inContext((parameters[1] as { path?: unknown } | undefined)?.path)) return method as ReturnType<ServerGrpc['createServiceMethod']>;
    return (call: ServerCallLike & { once?(event: string, listener: () => void): unknown }, callback?: (...answer: unknown[]) => void) =>
      runInIncomingCall(call, (answered) => {
        // A stream's context ends with the stream: finished, or destroyed by a cancel (which emits no 'finish').
        call.once?.('close', answered);
        if (typeof callback !== 'function') {
          call.once?.('finish', answered);
          return method(call, callback);
        }
        const result = method(call, (...answer: unknown[]) => {
          answered();
          callback(...answer);
        });
        // A handler that settles without answering (an empty observable; a rejection Nest does not hand to the
        // callback) ends its context when Nest's wrapper settles. Returned as before: grpc-js ignores it.
        void Promise.resolve(result).then(answered, answered);
        return result;
      });
  }

  // Every service is bound: an `incomingCallContext` name that matched no method is a mistake, named.
  override async bindEvents(): Promise<void> {
    await super.bindEvents();
    if (typeof this.#contexts === 'boolean') return;
    const unmatched = [...this.#contexts].filter(([, matched]) => !matched).map(([name]) => name);
    if (unmatched.length > 0) {
      // grpc-js serves from bindAsync on: stop it, or a failed listen() would leave the port answering.
      (this.grpcClient as Server | null | undefined)?.forceShutdown();
      throw new InvalidOptionError('GrpcServer', 'incomingCallContext', unmatched[0], 'names no @GrpcMethod handler of this server (write "Service/Method")');
    }
  }

  /** Whether the method at `path` (`/package.Service/Method`) runs in its call's context; marks the names it matches. */
  #inContext(path: unknown): boolean {
    const contexts = this.#contexts;
    if (typeof contexts === 'boolean') return contexts;
    if (typeof path !== 'string') return false;
    const full = path.slice(1);
    let matched = false;
    for (const name of contexts.keys()) {
      if (full === name || full.endsWith(`.${name}`)) {
        contexts.set(name, true);
        matched = true;
      }
    }
    return matched;
  }

  override async close(): Promise<void> {
    const server = this.grpcClient as Server | null | undefined;
    if (!server) return super.close();
    const clock = this.#serverOptions.clock ?? systemClock;
    let forced!: () => void;
    const forcedShutdown = new Promise<void>((resolve) => (forced = resolve));
    const deadline = clock.setTimeout(() => {
      try {
        server.forceShutdown();
      } finally {
        // grpc-js' graceful shutdown waits for every session's 'close', which a TLS session Node destroyed after a
        // protocol error never emits: the forced shutdown (sessions destroyed, listeners closed) is the end of it,
        // and a later close() has nothing left to shut down (Nest clears it only when the graceful one calls back).
        this.grpcClient = null;
        forced();
      }
    }, this.#serverOptions.shutdownTimeoutMs);
    const closing = super.close();
    // Settled after a forced shutdown too, and nobody waits for it then.
    closing.catch(() => undefined);
    try {
      await Promise.race([closing, forcedShutdown]);
    } finally {
      clock.clearTimeout(deadline);
      // Only now: during the shutdown it still closes sockets whose peers never close them.
      this.#guard?.close();
      this.#guard = undefined;
      this.#port = undefined;
    }
  }
}

/** @throws InvalidOptionError for an `incomingCallContext` that is not a boolean or a list of `'Service/Method'` names. */
function resolveIncomingCallContext(value: GrpcServerOptions['incomingCallContext']): boolean | Map<string, boolean> {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (!Array.isArray(value)) throw new InvalidOptionError('GrpcServer', 'incomingCallContext', value, 'must be true, false or a list of "Service/Method" names');
  const names = new Map<string, boolean>();
  for (const [i, name] of value.entries()) {
    if (typeof name !== 'string' || !METHOD_NAME.test(name)) {
      throw new InvalidOptionError('GrpcServer', `incomingCallContext[${i}]`, name, 'must be a "Service/Method" name, e.g. "RecordService/EnrichRecord"');
    }
    names.set(name, false);
  }
  return names;
}

/** Hands `guard` every HTTP/2 server `server` creates and every service added to it. */
function guardConnections(server: Server, guard: ConnectionGuard): ConnectionGuard {
  const factory = server as unknown as Http2ServerFactory;
  const create = factory.createHttp2Server;
  // Fail loudly rather than serve without the limits if a grpc-js release renames the method.
  if (typeof create !== 'function') throw new Error('GrpcServer: this @grpc/grpc-js has no Server.createHttp2Server; connection limits cannot be enforced');
  factory.createHttp2Server = (credentials) => {
    const http2Server = create.call(server, credentials);
    guard.watch(http2Server);
    return http2Server;
  };
  const addService = server.addService;
  server.addService = (service, implementation) => {
    guard.addService(service);
    addService.call(server, service, implementation);
  };
  return guard;
}

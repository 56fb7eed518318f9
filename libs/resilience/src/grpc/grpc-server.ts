import type { ChannelOptions, Server, ServerCredentials } from '@grpc/grpc-js';
import { type GrpcOptions, ServerGrpc } from '@nestjs/microservices';
import { type Clock, systemClock } from '../common/clock.js';
import { loadGrpcJs } from './grpc-js.loader.js';

/** `GrpcOptions['options']` plus how long a graceful shutdown may take. */
export type GrpcServerOptions = GrpcOptions['options'] & {
  /** In-flight calls get this long to finish at shutdown; then they are cut off (`forceShutdown`). */
  shutdownTimeoutMs: number;
  /** Time source of that deadline. Default the system clock; tests pass a `FakeClock`. */
  clock?: Clock;
};

/**
 * Nest's gRPC transport (`ServerGrpc`, on grpc-js) with what a daemon needs on top:
 * - {@link port} reports the bound port, so a configured port 0 works (tests use ephemeral ports);
 * - `close()` shuts down gracefully (no new calls, in-flight calls finish) but never waits longer
 *   than `shutdownTimeoutMs`: an open stream would otherwise hold the process forever.
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

  constructor(options: GrpcServerOptions) {
    const { shutdownTimeoutMs: _timeout, clock: _clock, ...grpcOptions } = options;
    super({ ...grpcOptions, gracefulShutdown: true });
    this.#serverOptions = options;
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
    };
    const server = new Server(channelOptions);
    this.#port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.url, (o.credentials as ServerCredentials | undefined) ?? ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      );
    });
    return server;
  }

  override async close(): Promise<void> {
    const server = this.grpcClient as Server | null | undefined;
    if (!server) return super.close();
    const clock = this.#serverOptions.clock ?? systemClock;
    const deadline = clock.setTimeout(() => server.forceShutdown(), this.#serverOptions.shutdownTimeoutMs);
    try {
      await super.close();
    } finally {
      clock.clearTimeout(deadline);
      this.#port = undefined;
    }
  }
}

import type { INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcServer, withGrpcHealth } from '@engined/resilience/grpc';
import { formatHost } from '../../shared/src/grpc/format-host.js';
import { tolerateMalformedRequests } from '../../shared/src/grpc/malformed-request.js';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../shared/src/grpc/proto-path.js';
import { DownstreamAppModule } from './app.module.js';

export interface DownstreamAppOptions {
  host: string;
  /** 0 picks a free port; read the result from `DownstreamApp.port`. */
  port: number;
  /** In-flight calls get this long at shutdown. Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** On SIGTERM/SIGINT, grpc.health.v1 turns NOT_SERVING and the server closes after this long. Default 0. */
  drainDelayMs?: number;
  /** The logger; omitted, the process-wide Nest logger is used (the daemon's, when started in-process). */
  logger?: LoggerService;
}

/** A running downstream quote service. */
export interface DownstreamApp {
  readonly app: INestMicroservice;
  /** The bound port. */
  readonly port: number;
  /** `host:port` to dial. */
  readonly target: string;
  close(): Promise<void>;
}

/**
 * Starts the downstream gRPC service (`downstream.v1.QuoteService`). Used by its own
 * `main.ts` and by the daemon, which starts it in-process when DOWNSTREAM_URL is unset.
 */
export async function createDownstreamApp(options: DownstreamAppOptions): Promise<DownstreamApp> {
  // The app does not exist yet when the options are built; the health hook resolves it at listen time.
  let app: INestMicroservice | undefined;
  const server = new GrpcServer(
    withGrpcHealth(() => app!, {
      url: `${formatHost(options.host)}:${options.port}`,
      package: ['downstream.v1'],
      protoPath: [protoPath('downstream/v1/quotes.proto')],
      loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [protoPath('.')] },
      maxReceiveMessageLength: 64 * 1024,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5_000,
      onLoadPackageDefinition: (pkg: Record<string, unknown>) => tolerateMalformedRequests(pkg),
    }),
  );
  app = await NestFactory.createMicroservice(DownstreamAppModule.forRoot({ drainDelayMs: options.drainDelayMs }), {
    strategy: server,
    abortOnError: false,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    await app.listen();
  } catch (error) {
    await app.close();
    throw error;
  }
  const port = server.port;
  const connectHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : formatHost(options.host);
  return { app, port, target: `${connectHost}:${port}`, close: () => app.close() };
}

import { type GrpcServerOptions, tolerateMalformedRequests } from '@engined/resilience/grpc';
import type { AppConfig } from '../config/app-config.js';
import { formatHost } from '../../../shared/src/grpc/format-host.js';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../shared/src/grpc/proto-path.js';

/** Largest request the daemon accepts; bigger ones get RESOURCE_EXHAUSTED from grpc-js before any handler runs. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * The methods whose handlers call another service: only they run in their incoming call's context, whose deadline
 * and cancellation `QuoteClient`'s `breakerInterceptor` carries downstream. The others (database only) skip it: on
 * Node 20 the context's async hooks cost every call of the process ~20 µs while one is open (issue #16's profile).
 */
export const DOWNSTREAM_CALLING_METHODS = ['RecordService/EnrichRecord'] as const;

/** The daemon's one set of gRPC server options. */
export function grpcServerOptions(config: AppConfig): GrpcServerOptions {
  return {
    url: `${formatHost(config.grpc.host)}:${config.grpc.port}`,
    package: ['engined.v1'],
    protoPath: [protoPath('engined/v1/records.proto')],
    loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [protoPath('.')] },
    maxReceiveMessageLength: MAX_REQUEST_BYTES,
    shutdownTimeoutMs: config.grpc.shutdownTimeoutMs,
    limits: config.grpc.limits,
    incomingCallContext: DOWNSTREAM_CALLING_METHODS,
    onLoadPackageDefinition: (pkg) => tolerateMalformedRequests(pkg),
  };
}

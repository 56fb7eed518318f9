import type { GrpcServerOptions } from '@engined/resilience/grpc';
import type { AppConfig } from '../config/app-config.js';
import { formatHost } from '../../../shared/src/grpc/format-host.js';
import { tolerateMalformedRequests } from '../../../shared/src/grpc/malformed-request.js';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../shared/src/grpc/proto-path.js';

/** Largest request the daemon accepts; bigger ones get RESOURCE_EXHAUSTED from grpc-js before any handler runs. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** The daemon's one set of gRPC server options. */
export function grpcServerOptions(config: AppConfig): GrpcServerOptions {
  return {
    url: `${formatHost(config.grpc.host)}:${config.grpc.port}`,
    package: ['engined.v1'],
    protoPath: [protoPath('engined/v1/records.proto')],
    loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [protoPath('.')] },
    maxReceiveMessageLength: MAX_REQUEST_BYTES,
    shutdownTimeoutMs: config.grpc.shutdownTimeoutMs,
    onLoadPackageDefinition: (pkg) => tolerateMalformedRequests(pkg),
  };
}

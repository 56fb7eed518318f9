import { createRequire } from 'node:module';

type GrpcJs = typeof import('@grpc/grpc-js');

let grpcJs: GrpcJs | undefined;

/**
 * `@grpc/grpc-js`, loaded on first use as `@nestjs/microservices` does, so apps that never start a
 * gRPC server can use the library without installing it.
 */
export function loadGrpcJs(): GrpcJs {
  grpcJs ??= createRequire(import.meta.url)('@grpc/grpc-js') as GrpcJs;
  return grpcJs;
}

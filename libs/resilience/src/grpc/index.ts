// Public API of `@engined/resilience/grpc`: the gRPC parts that load `@grpc/grpc-js` (kept out of the root entry).

// --- grpc client resilience ---
export { breakerInterceptor, type BreakerInterceptorOptions } from '../grpc-client/breaker.interceptor.js';
export {
  grpcCodeOfError,
  grpcRetryOn,
  grpcStatusClassification,
  GrpcStatusClassifier,
  grpcStatusKind,
  type GrpcClassificationOptions,
  type GrpcRetryOnOptions,
  type GrpcStatusKind,
} from '../grpc-client/grpc-status.classifier.js';
export { GrpcStatusError } from '../grpc-client/grpc-status.error.js';

// Public API of `@engined/resilience/grpc`: the gRPC server strategy, grpc.health.v1 fed by the health
// state, and the gRPC client's resilience (breaker interceptor, status presets). Peers: `@grpc/grpc-js`,
// `@grpc/proto-loader`, `@nestjs/microservices`.

// --- grpc server ---
export { GrpcServer, type GrpcServerOptions } from './grpc-server.js';
export { GRPC_SERVER_LIMIT_DEFAULTS, type GrpcServerLimits, type ResolvedGrpcServerLimits } from './grpc-server.limits.js';
export { MalformedRequest, isMalformedRequest } from './malformed-request.js';
export { tolerateMalformedRequests } from './wire-check.js';
export { currentIncomingCall, incomingCallOf, runInIncomingCall, type IncomingCall, type ServerCallLike } from './incoming-call.js';

// --- grpc health ---
export { GrpcHealthModule } from '../grpc-health/grpc-health.module.js';
export type { GrpcHealthModuleOptions } from '../grpc-health/grpc-health.options.js';
export { GrpcHealthService, type GrpcServerLike } from '../grpc-health/grpc-health.service.js';
export { GrpcHealthStatusManager, type ServingStatusListener } from '../grpc-health/grpc-health-status.manager.js';
export type { GrpcHealthSource, GrpcHealthUpdate } from '../grpc-health/grpc-health.source.js';
export { healthRegistrySource, type HealthRegistryView } from '../grpc-health/health-registry.source.js';
export { ServingStatus, servingStatusOf, type HealthStatusName } from '../grpc-health/serving-status.js';
export { withGrpcHealth, type AppReference } from '../grpc-health/with-grpc-health.js';
export { GRPC_HEALTH_SERVICE_NAME } from '../grpc-health/health.descriptor.js';

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

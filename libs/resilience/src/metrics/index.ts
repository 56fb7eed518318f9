// Public API of `@engined/resilience/metrics`: Prometheus metrics of breakers, retries, bulkheads, health and gRPC
// calls. Peer: `prom-client` (and grpc-js for the gRPC server interceptor, which only a gRPC app uses).

export { MetricsModule, type MetricsModuleAsyncOptions } from './metrics.module.js';
export type { MetricsModuleOptions } from './metrics.options.js';
export { MetricsService } from './metrics.service.js';
export { GrpcMetricsInterceptor, grpcCodeOf } from './grpc-metrics.interceptor.js';
export { GrpcServerMetrics } from './grpc-server.metrics.js';
export { grpcMetricsServerInterceptor } from './grpc-metrics.server-interceptor.js';
export { withGrpcMetrics } from './with-grpc-metrics.js';
export type {
  BreakerMetricsSource,
  BreakerMetricsView,
  BulkheadMetricsSource,
  HealthMetricsSource,
  RetryMetricsSource,
} from './metrics.sources.js';
export type { CallOutcome } from './breaker.metrics.js';

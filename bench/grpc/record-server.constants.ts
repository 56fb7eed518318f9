/** What a RecordService app of the gRPC group adds around the handler (passed as JSON in the child's argv). */
export interface RecordAppFeatures {
  /** `ResilienceModule` and `@CircuitBreaker` on the store's get, with `BreakerExceptionFilter`. */
  readonly breaker: boolean;
  /** `HealthModule` (store, event-loop and heap components), `GrpcHealthModule` and `withGrpcHealth`. */
  readonly health: boolean;
  /**
   * `MetricsModule` with the gRPC calls counted by:
   * - `grpc-js`: a grpc-js server interceptor (`withGrpcMetrics`) with `MetricsModule`'s default options, as
   *   the sample daemon does;
   * - `nest`: `MetricsModule.forRoot({ grpcInterceptor: true })`, the global Nest interceptor, no `withGrpcMetrics`;
   * or no `MetricsModule` at all.
   */
  readonly metrics: 'off' | 'grpc-js' | 'nest';
}

export const BARE: RecordAppFeatures = { breaker: false, health: false, metrics: 'off' };
/** As `createApp` in apps/engined/src/app.factory.ts wires the library. */
export const AS_THE_DAEMON: RecordAppFeatures = { breaker: true, health: true, metrics: 'grpc-js' };

// Tokens of the metrics module. This file imports nothing, so any file may import it without cycles.

/** @internal Injection token of the validated `MetricsModuleOptions`. */
export const METRICS_OPTIONS = 'RESILIENCE:METRICS_OPTIONS';

/** @internal Injection token of the raw options, as given to `forRoot` or made by `forRootAsync`'s factory. */
export const METRICS_MODULE_OPTIONS = 'RESILIENCE:METRICS_MODULE_OPTIONS';

/** @internal Injection token of the parts fixed when the module is defined (route, global interceptor). */
export const METRICS_MOUNT = 'RESILIENCE:METRICS_MOUNT';

/** Default check-latency buckets, in seconds (checks run from a millisecond to a timeout of seconds). */
export const DEFAULT_CHECK_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Default gRPC handling buckets, in seconds. */
export const DEFAULT_GRPC_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Default buckets of the opt-in breaker call-duration histogram, in seconds (a millisecond to a timeout of seconds). */
export const DEFAULT_BREAKER_CALL_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

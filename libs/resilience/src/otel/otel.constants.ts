// Tokens of the OpenTelemetry metrics module. This file imports nothing, so any file may import it without cycles.

/** @internal Injection token of the validated `OpenTelemetryMetricsModuleOptions`. */
export const OTEL_METRICS_OPTIONS = 'RESILIENCE:OTEL_METRICS_OPTIONS';

/** @internal Injection token of the raw options, as given to `forRoot` or made by `forRootAsync`'s factory. */
export const OTEL_METRICS_MODULE_OPTIONS = 'RESILIENCE:OTEL_METRICS_MODULE_OPTIONS';

/** Name of the meter the library's instruments are created on (the instrumentation scope). */
export const OTEL_METER_NAME = '@engined/resilience';

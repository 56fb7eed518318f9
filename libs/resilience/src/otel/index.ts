// Public API of `@engined/resilience/otel`: the breaker, retry, bulkhead and health metrics through OpenTelemetry.
// Peer: `@opentelemetry/api` (plus the OpenTelemetry SDK your app registers).

export { OpenTelemetryMetricsModule, type OpenTelemetryMetricsModuleAsyncOptions } from './otel-metrics.module.js';
export type { OpenTelemetryMetricsModuleOptions } from './otel-metrics.options.js';
export { OpenTelemetryMetricsService } from './otel-metrics.service.js';
export { OTEL_METER_NAME } from './otel.constants.js';

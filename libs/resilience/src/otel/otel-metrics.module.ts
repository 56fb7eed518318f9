import { type DynamicModule, Module } from '@nestjs/common';
import { OTEL_METRICS_MODULE_OPTIONS, OTEL_METRICS_OPTIONS } from './otel.constants.js';
import {
  ConfigurableOpenTelemetryMetricsModule,
  type OTEL_METRICS_ASYNC_OPTIONS_TYPE,
  type OTEL_METRICS_OPTIONS_TYPE,
} from './otel-metrics.module-definition.js';
import { type OpenTelemetryMetricsModuleOptions, resolveOpenTelemetryMetricsOptions } from './otel-metrics.options.js';
import { OpenTelemetryMetricsService } from './otel-metrics.service.js';

/** `forRootAsync` options: a factory for the options (`useFactory` + `inject`, `useClass` or `useExisting`). */
export type OpenTelemetryMetricsModuleAsyncOptions = typeof OTEL_METRICS_ASYNC_OPTIONS_TYPE;

/**
 * The library's breaker and health metrics through `@opentelemetry/api`, for an app whose telemetry goes through an
 * OpenTelemetry SDK (OTLP, or any exporter) instead of, or beside, `MetricsModule`'s Prometheus endpoint:
 *
 * ```ts
 * @Module({ imports: [ResilienceModule.forRoot(), HealthModule.forRoot(), OpenTelemetryMetricsModule.forRoot()] })
 * export class AppModule {}
 * ```
 *
 * The instruments go on the meter `@engined/resilience` of the global `MeterProvider` (or `meterProvider`).
 * Global unless `isGlobal: false`.
 */
@Module({})
export class OpenTelemetryMetricsModule extends ConfigurableOpenTelemetryMetricsModule {
  /** Registers the module with these options (validated at bootstrap). */
  static override forRoot(options: typeof OTEL_METRICS_OPTIONS_TYPE = {}): DynamicModule {
    return withProviders(super.forRoot(options));
  }

  /** Registers the module with options from a factory, validated at bootstrap. */
  static override forRootAsync(options: OpenTelemetryMetricsModuleAsyncOptions): DynamicModule {
    return withProviders(super.forRootAsync(options));
  }
}

function withProviders(definition: DynamicModule): DynamicModule {
  return {
    ...definition,
    providers: [
      ...(definition.providers ?? []),
      {
        // The one place options are validated, whichever way they were given.
        provide: OTEL_METRICS_OPTIONS,
        useFactory: (raw: OpenTelemetryMetricsModuleOptions | undefined) => resolveOpenTelemetryMetricsOptions(raw),
        inject: [OTEL_METRICS_MODULE_OPTIONS],
      },
      OpenTelemetryMetricsService,
    ],
    exports: [OpenTelemetryMetricsService],
  };
}

import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Registry } from 'prom-client';
import { GrpcMetricsInterceptor } from './grpc-metrics.interceptor.js';
import { METRICS_OPTIONS } from './metrics.constants.js';
import { createMetricsController } from './metrics.controller.js';
import { type MetricsModuleOptions, resolveMetricsOptions } from './metrics.options.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus metrics for breakers, health and gRPC calls, at `GET /metrics`:
 *
 * ```ts
 * @Module({ imports: [ResilienceModule.forRoot(), HealthModule.forRoot(), MetricsModule.forRoot()] })
 * export class AppModule {}
 * ```
 *
 * Each app gets a private prom-client `Registry` unless `registry` is given.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions = {}): DynamicModule {
    const resolved = resolveMetricsOptions(options);
    const contentType = resolved.registry?.contentType ?? Registry.PROMETHEUS_CONTENT_TYPE;
    return {
      module: MetricsModule,
      controllers: resolved.path === false ? [] : [createMetricsController(resolved.path, contentType)],
      providers: [
        { provide: METRICS_OPTIONS, useValue: resolved },
        MetricsService,
        GrpcMetricsInterceptor,
        ...(resolved.grpcInterceptor ? [{ provide: APP_INTERCEPTOR, useExisting: GrpcMetricsInterceptor }] : []),
      ],
      exports: [MetricsService, GrpcMetricsInterceptor],
    };
  }
}

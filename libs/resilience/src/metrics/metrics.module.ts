import { type DynamicModule, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GrpcMetricsInterceptor } from './grpc-metrics.interceptor.js';
import { METRICS_MODULE_OPTIONS, METRICS_MOUNT, METRICS_OPTIONS } from './metrics.constants.js';
import { createMetricsController } from './metrics.controller.js';
import {
  ConfigurableMetricsModule,
  type METRICS_ASYNC_OPTIONS_TYPE,
  type METRICS_OPTIONS_TYPE,
} from './metrics.module-definition.js';
import { type MetricsModuleOptions, type MetricsMount, resolveMetricsMount, resolveMetricsOptions } from './metrics.options.js';
import { MetricsService } from './metrics.service.js';

/** `forRootAsync` options: a factory for the options, plus the two options that shape the module. */
export type MetricsModuleAsyncOptions = typeof METRICS_ASYNC_OPTIONS_TYPE & Partial<Pick<MetricsModuleOptions, 'path' | 'grpcInterceptor'>>;

/**
 * Prometheus metrics for breakers, health and gRPC calls, at `GET /metrics`:
 *
 * ```ts
 * @Module({ imports: [ResilienceModule.forRoot(), HealthModule.forRoot(), MetricsModule.forRoot()] })
 * export class AppModule {}
 *
 * MetricsModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ prefix: config.get('METRICS_PREFIX') }) })
 * ```
 *
 * Each app gets a private prom-client `Registry` unless `registry` is given (`'global'`: prom-client's
 * default `register`). Global unless `isGlobal: false`, so `MetricsService` is injectable everywhere.
 */
@Module({})
export class MetricsModule extends ConfigurableMetricsModule {
  /** Registers the module with these options (validated at bootstrap; `path` and `grpcInterceptor` here). */
  static override forRoot(options: typeof METRICS_OPTIONS_TYPE = {}): DynamicModule {
    return withMetricsProviders(super.forRoot(options), resolveMetricsMount(options));
  }

  /**
   * Registers the module with options from a factory (`useFactory` + `inject`, `useClass` or `useExisting`),
   * validated at bootstrap. `path` and `grpcInterceptor` shape the module, so they sit next to `useFactory`.
   */
  static override forRootAsync(options: MetricsModuleAsyncOptions): DynamicModule {
    const { path, grpcInterceptor, ...asyncOptions } = options;
    return withMetricsProviders(super.forRootAsync(asyncOptions), resolveMetricsMount({ path, grpcInterceptor }));
  }
}

function withMetricsProviders(definition: DynamicModule, mount: MetricsMount): DynamicModule {
  return {
    ...definition,
    controllers: mount.path === false ? [] : [createMetricsController(mount.path)],
    providers: [
      ...(definition.providers ?? []),
      { provide: METRICS_MOUNT, useValue: mount },
      {
        // The one place options are validated, whichever way they were given.
        provide: METRICS_OPTIONS,
        useFactory: (raw: MetricsModuleOptions | undefined, defined: MetricsMount) => resolveMetricsOptions(raw, defined),
        inject: [METRICS_MODULE_OPTIONS, METRICS_MOUNT],
      },
      MetricsService,
      GrpcMetricsInterceptor,
      ...(mount.grpcInterceptor ? [{ provide: APP_INTERCEPTOR, useExisting: GrpcMetricsInterceptor }] : []),
    ],
    exports: [MetricsService, GrpcMetricsInterceptor],
  };
}

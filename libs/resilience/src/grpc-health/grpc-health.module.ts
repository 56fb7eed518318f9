import { type DynamicModule, Module } from '@nestjs/common';
import { GRPC_HEALTH_OPTIONS } from './grpc-health.constants.js';
import {
  GRPC_HEALTH_ASYNC_OPTIONS_TYPE,
  GRPC_HEALTH_MODULE_OPTIONS,
  type GRPC_HEALTH_OPTIONS_TYPE,
  GrpcHealthConfigurableModule,
} from './grpc-health.module-definition.js';
import { resolveGrpcHealthOptions } from './grpc-health.options.js';
import { GrpcHealthService } from './grpc-health.service.js';

/**
 * Provides {@link GrpcHealthService}, the `grpc.health.v1` server fed by the health registry.
 * Import it once, then pass your gRPC options through `withGrpcHealth(app, options)`:
 *
 * ```ts
 * @Module({ imports: [HealthModule.forRoot(), GrpcHealthModule.forRoot()] })
 * export class AppModule {}
 *
 * const app = await NestFactory.create(AppModule);
 * app.connectMicroservice(withGrpcHealth(app, grpcOptions));
 * ```
 */
@Module({
  providers: [
    {
      provide: GRPC_HEALTH_OPTIONS,
      inject: [GRPC_HEALTH_MODULE_OPTIONS],
      useFactory: resolveGrpcHealthOptions,
    },
    GrpcHealthService,
  ],
  exports: [GrpcHealthService],
})
export class GrpcHealthModule extends GrpcHealthConfigurableModule {
  /** Options are optional: `GrpcHealthModule.forRoot()` follows the health registry. Global unless `isGlobal: false`. */
  static override forRoot(options: typeof GRPC_HEALTH_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  static override forRootAsync(options: typeof GRPC_HEALTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}

import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { GrpcHealthModuleOptions } from './grpc-health.options.js';

export const {
  ConfigurableModuleClass: GrpcHealthConfigurableModule,
  MODULE_OPTIONS_TOKEN: GRPC_HEALTH_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE: GRPC_HEALTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GrpcHealthModuleOptions>({ moduleName: 'GrpcHealth' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();

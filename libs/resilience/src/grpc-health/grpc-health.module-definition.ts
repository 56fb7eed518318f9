import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GLOBAL_BY_DEFAULT, type GlobalModuleExtras, globalUnlessOptedOut } from '../common/global-module.js';
import type { GrpcHealthModuleOptions } from './grpc-health.options.js';

export const {
  ConfigurableModuleClass: GrpcHealthConfigurableModule,
  MODULE_OPTIONS_TOKEN: GRPC_HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE: GRPC_HEALTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: GRPC_HEALTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<GrpcHealthModuleOptions>({ moduleName: 'GrpcHealth' })
  .setClassMethodName('forRoot')
  .setExtras<GlobalModuleExtras>(GLOBAL_BY_DEFAULT, globalUnlessOptedOut('GrpcHealthModule'))
  .build();

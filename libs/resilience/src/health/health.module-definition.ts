import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GLOBAL_BY_DEFAULT, type GlobalModuleExtras, globalUnlessOptedOut } from '../common/global-module.js';
import { HEALTH_MODULE_OPTIONS } from '../resilience.constants.js';
import type { HealthModuleOptions } from './health-module.options.js';

export const {
  ConfigurableModuleClass: ConfigurableHealthModule,
  OPTIONS_TYPE: HEALTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: HEALTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HealthModuleOptions>({ optionsInjectionToken: HEALTH_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<GlobalModuleExtras>(GLOBAL_BY_DEFAULT, globalUnlessOptedOut('HealthModule'))
  .build();

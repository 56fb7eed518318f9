import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GLOBAL_BY_DEFAULT, type GlobalModuleExtras, globalUnlessOptedOut } from '../common/global-module.js';
import { METRICS_MODULE_OPTIONS } from './metrics.constants.js';
import type { MetricsModuleOptions } from './metrics.options.js';

export const {
  ConfigurableModuleClass: ConfigurableMetricsModule,
  OPTIONS_TYPE: METRICS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: METRICS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MetricsModuleOptions>({ optionsInjectionToken: METRICS_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<GlobalModuleExtras>(GLOBAL_BY_DEFAULT, globalUnlessOptedOut('MetricsModule'))
  .build();

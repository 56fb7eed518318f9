import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GLOBAL_BY_DEFAULT, type GlobalModuleExtras, globalUnlessOptedOut } from './common/global-module.js';
import { RESILIENCE_MODULE_OPTIONS } from './resilience.constants.js';
import type { ResilienceModuleOptions } from './resilience-options.interface.js';

/** Extras of `forRoot` / `forRootAsync` that shape the module rather than the options (`isGlobal`, default true). */
export type ResilienceModuleExtras = GlobalModuleExtras;

export const {
  ConfigurableModuleClass: ConfigurableResilienceModule,
  OPTIONS_TYPE: RESILIENCE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RESILIENCE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResilienceModuleOptions>({ optionsInjectionToken: RESILIENCE_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<ResilienceModuleExtras>(GLOBAL_BY_DEFAULT, globalUnlessOptedOut('ResilienceModule'))
  .build();

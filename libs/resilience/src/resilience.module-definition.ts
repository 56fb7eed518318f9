import { ConfigurableModuleBuilder } from '@nestjs/common';
import { RESILIENCE_MODULE_OPTIONS } from './resilience.constants.js';
import type { ResilienceModuleOptions } from './resilience-options.interface.js';

/** Extras of `forRoot` / `forRootAsync` that shape the module rather than the options. */
export interface ResilienceModuleExtras {
  /** Register the module globally, so `BreakerRegistry` and the clock are injectable everywhere. Default true. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableResilienceModule,
  OPTIONS_TYPE: RESILIENCE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RESILIENCE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResilienceModuleOptions>({ optionsInjectionToken: RESILIENCE_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<ResilienceModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ADMIN_MODULE_OPTIONS } from './admin.constants.js';
import type { ResilienceAdminModuleExtras, ResilienceAdminModuleOptions } from './admin-options.interface.js';
import { ADMIN_DEFAULTS } from './admin-options.validation.js';

export const {
  ConfigurableModuleClass: ConfigurableAdminModule,
  OPTIONS_TYPE: ADMIN_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ADMIN_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResilienceAdminModuleOptions>({ optionsInjectionToken: ADMIN_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  // The mount is applied by `ResilienceAdminModule` itself; as extras, `enabled` and `prefix` stay out of the options value.
  .setExtras<ResilienceAdminModuleExtras>({ enabled: ADMIN_DEFAULTS.enabled, prefix: ADMIN_DEFAULTS.prefix })
  .build();

import { ConfigurableModuleBuilder } from '@nestjs/common';
import { GLOBAL_BY_DEFAULT, type GlobalModuleExtras, globalUnlessOptedOut } from '../common/global-module.js';
import { OTEL_METRICS_MODULE_OPTIONS } from './otel.constants.js';
import type { OpenTelemetryMetricsModuleOptions } from './otel-metrics.options.js';

export const {
  ConfigurableModuleClass: ConfigurableOpenTelemetryMetricsModule,
  OPTIONS_TYPE: OTEL_METRICS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: OTEL_METRICS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<OpenTelemetryMetricsModuleOptions>({ optionsInjectionToken: OTEL_METRICS_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<GlobalModuleExtras>(GLOBAL_BY_DEFAULT, globalUnlessOptedOut('OpenTelemetryMetricsModule'))
  .build();

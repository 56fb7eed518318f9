import { type DynamicModule, forwardRef, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import {
  HEALTH_HTTP_MOUNT,
  HEALTH_MODULE_OPTIONS,
  HEALTH_OPTIONS,
  HEALTH_SCHEDULER_REGISTRY,
} from '../resilience.constants.js';
import type { HealthHttpMount, HealthHttpOptions, HealthModuleOptions } from './health-module.options.js';
import { resolveHealthOptions, resolveMount } from './health-options.validation.js';
import { HealthExplorer } from './health.explorer.js';
import { HealthLifecycleModule } from './health-lifecycle.module.js';
import {
  ConfigurableHealthModule,
  type HEALTH_ASYNC_OPTIONS_TYPE,
  type HEALTH_OPTIONS_TYPE,
} from './health.module-definition.js';
import { HealthRegistry } from './health.registry.js';

/** `forRootAsync` options: a factory for the options, plus the HTTP mount, which must be known up front. */
export type HealthModuleAsyncOptions = typeof HEALTH_ASYNC_OPTIONS_TYPE & {
  /** Controller on/off and its path (the rest of `http` comes from the factory). */
  http?: Pick<HealthHttpOptions, 'enabled' | 'path'>;
};

/**
 * Scheduled health checks with auto-healing, probe groups and Terminus endpoints.
 *
 * ```ts
 * HealthModule.forRoot({ http: { details: 'token', token: process.env.HEALTH_TOKEN }, drainDelayMs: 10_000 })
 * HealthModule.forRootAsync({ inject: [ConfigService], useFactory: (config) => ({ ... }), http: { path: 'healthz' } })
 * ```
 * Global unless `isGlobal: false`, so `HealthRegistry` is injectable everywhere; import it once, from the root module.
 *
 * Timers go to the app's `SchedulerRegistry` when the app imports `ScheduleModule.forRoot()` (so they are
 * visible there), else to a private one. The module does not import `ScheduleModule.forRoot()` itself:
 * Nest 12 keys dynamic modules by reference, so a second import would run every `@Interval`/`@Cron` twice.
 */
@Module({})
export class HealthModule extends ConfigurableHealthModule {
  /** Registers the module with these options (validated at bootstrap); `forRoot()` means defaults. */
  static override forRoot(options: typeof HEALTH_OPTIONS_TYPE = {}): DynamicModule {
    return withHealthProviders(super.forRoot(options), resolveMount(options.http));
  }

  /** Registers the module with options from a factory (`useFactory` + `inject`, `useClass` or `useExisting`). */
  static override forRootAsync(options: HealthModuleAsyncOptions): DynamicModule {
    const { http, ...asyncOptions } = options;
    return withHealthProviders(super.forRootAsync(asyncOptions), resolveMount(http));
  }
}

function withHealthProviders(definition: DynamicModule, mount: HealthHttpMount): DynamicModule {
  // Not global: the inner modules see the registry only by importing this very definition back.
  const parent = definition.global === true ? undefined : forwardRef(() => health);
  const health: DynamicModule = {
    ...definition,
    imports: [
      ...(definition.imports ?? []),
      DiscoveryModule,
      HealthLifecycleModule.register(mount, parent),
    ],
    providers: [
      ...(definition.providers ?? []),
      { provide: HEALTH_HTTP_MOUNT, useValue: mount },
      {
        // The one place options are validated, whichever way they were given.
        provide: HEALTH_OPTIONS,
        useFactory: (raw: HealthModuleOptions | undefined, httpMount: HealthHttpMount) => resolveHealthOptions(raw, httpMount),
        inject: [HEALTH_MODULE_OPTIONS, HEALTH_HTTP_MOUNT],
      },
      {
        provide: HEALTH_SCHEDULER_REGISTRY,
        useFactory: (app: SchedulerRegistry | undefined) => app ?? new SchedulerRegistry(),
        inject: [{ token: SchedulerRegistry, optional: true }],
      },
      HealthRegistry,
      HealthExplorer,
    ],
    exports: [HealthRegistry, HEALTH_OPTIONS],
  };
  return health;
}

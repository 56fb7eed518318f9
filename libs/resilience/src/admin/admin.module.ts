import { type DynamicModule, Module } from '@nestjs/common';
import type { Clock } from '../common/clock.js';
import { RESILIENCE_CLOCK } from '../resilience.constants.js';
import { ADMIN_MODULE_OPTIONS, ADMIN_MOUNT, ADMIN_OPTIONS } from './admin.constants.js';
import { adminControllerFor } from './admin.controller.js';
import { AdminEventRecorder } from './admin-event.recorder.js';
import {
  ConfigurableAdminModule,
  type ADMIN_ASYNC_OPTIONS_TYPE,
  type ADMIN_OPTIONS_TYPE,
} from './admin.module-definition.js';
import type { AdminMount, ResilienceAdminModuleOptions } from './admin-options.interface.js';
import { resolveAdminMount, validateAdminOptions } from './admin-options.validation.js';
import { AdminQueries } from './admin.queries.js';
import { EventLog } from './event-log.js';
import { EventStreamHub } from './event-stream.hub.js';
import { OperatorService } from './operator.service.js';
import { BreakerOverrideSync } from './overrides/breaker-override.sync.js';

/**
 * The operations API over HTTP: breakers and health components as JSON, operator actions behind a bearer
 * token, and an event history (`GET {prefix}/events`, server-sent events at `{prefix}/events/stream`).
 * Off by default: `enabled: true` mounts it under `prefix` (default `/resilience`).
 *
 * ```ts
 * ResilienceAdminModule.forRoot({ enabled: true, token: process.env.ADMIN_TOKEN })
 * ResilienceAdminModule.forRootAsync({ enabled: true, inject: [ConfigService], useFactory: (c) => ({ token: c.get('ADMIN_TOKEN') }) })
 * ```
 * Reads `BreakerRegistry` (from `ResilienceModule`) and `HealthRegistry` (from `HealthModule`) when the
 * application has them; either may be absent. `enabled` and `prefix` are fixed when the module is defined.
 */
@Module({})
export class ResilienceAdminModule extends ConfigurableAdminModule {
  /** Mounts the API with these options when `enabled` (validated at bootstrap; the mount at once). */
  static override forRoot(options: typeof ADMIN_OPTIONS_TYPE = {}): DynamicModule {
    return withAdminProviders(super.forRoot(options), resolveAdminMount(options));
  }

  /** Mounts the API with options from a factory; `enabled` and `prefix` go next to `useFactory`. */
  static override forRootAsync(options: typeof ADMIN_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withAdminProviders(super.forRootAsync(options), resolveAdminMount(options));
  }
}

function withAdminProviders(definition: DynamicModule, mount: AdminMount): DynamicModule {
  // Off: the options are neither read nor validated, and nothing runs.
  if (!mount.enabled) return { ...definition, providers: [], imports: [] };
  return {
    ...definition,
    controllers: [adminControllerFor(mount.path)],
    providers: [
      ...(definition.providers ?? []),
      { provide: ADMIN_MOUNT, useValue: mount },
      {
        // The one place options are validated, whichever way they were given.
        provide: ADMIN_OPTIONS,
        useFactory: (raw: ResilienceAdminModuleOptions | undefined, adminMount: AdminMount, clock: Clock | undefined) =>
          validateAdminOptions(raw, adminMount, clock),
        inject: [ADMIN_MODULE_OPTIONS, ADMIN_MOUNT, { token: RESILIENCE_CLOCK, optional: true }],
      },
      {
        provide: EventLog,
        useFactory: (options: { eventBufferSize: number }) => new EventLog(options.eventBufferSize),
        inject: [ADMIN_OPTIONS],
      },
      AdminEventRecorder,
      EventStreamHub,
      AdminQueries,
      BreakerOverrideSync,
      OperatorService,
    ],
    exports: [OperatorService, EventLog, AdminQueries, EventStreamHub, BreakerOverrideSync],
  };
}

import { type DynamicModule, Module } from '@nestjs/common';
import { HealthTerminusModule } from '../terminus/health-terminus.module.js';
import type { HealthHttpMount } from './health-module.options.js';
import { HealthShutdown } from './health.shutdown.js';

/**
 * The non-global part of `HealthModule`: the shutdown choreography and, when enabled, the Terminus
 * endpoints. Being imported by it, Terminus runs its shutdown hook after the drain. @internal
 */
@Module({})
export class HealthLifecycleModule {
  static register(mount: HealthHttpMount): DynamicModule {
    return {
      module: HealthLifecycleModule,
      imports: mount.enabled ? [HealthTerminusModule.register(mount.path)] : [],
      providers: [HealthShutdown],
    };
  }
}

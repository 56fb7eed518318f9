import { type DynamicModule, type ForwardReference, Module } from '@nestjs/common';
import { HealthTerminusModule } from '../terminus/health-terminus.module.js';
import type { HealthHttpMount } from './health-module.options.js';
import { HealthShutdown } from './health.shutdown.js';

/**
 * The non-global part of `HealthModule`: the shutdown choreography and, when enabled, the Terminus
 * endpoints. Being imported by it, Terminus runs its shutdown hook after the drain. @internal
 */
@Module({})
export class HealthLifecycleModule {
  /**
   * @param parent the `HealthModule` definition, when it is not global: imported back (a forward reference),
   *   so the registry and options reach the shutdown step and the endpoints.
   */
  static register(mount: HealthHttpMount, parent?: ForwardReference<DynamicModule>): DynamicModule {
    const terminus = mount.enabled ? [HealthTerminusModule.register(mount.path, parent)] : [];
    return {
      module: HealthLifecycleModule,
      imports: parent === undefined ? terminus : [parent, ...terminus],
      providers: [HealthShutdown],
    };
  }
}

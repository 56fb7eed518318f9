import { type DynamicModule, type ForwardReference, Module } from '@nestjs/common';
import { isMissingPackage } from '../common/peer-dependencies.js';
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
    const terminus = mount.enabled ? [terminusEndpoints(mount.path, parent)] : [];
    return {
      module: HealthLifecycleModule,
      imports: parent === undefined ? terminus : [parent, ...terminus],
      providers: [HealthShutdown],
    };
  }
}

/**
 * The Terminus endpoints, imported on demand (Nest awaits a promised module at bootstrap): the
 * `/health` entry does not load `@nestjs/terminus`, so an app with `http.enabled: false` (gRPC
 * only) needs it neither installed nor loaded.
 */
function terminusEndpoints(path: string, parent: ForwardReference<DynamicModule> | undefined): Promise<DynamicModule> {
  const endpoints = import('../terminus/health-terminus.module.js').then(
    ({ HealthTerminusModule }) => HealthTerminusModule.register(path, parent),
    (error: unknown) => {
      if (!isMissingPackage(error, '@nestjs/terminus')) throw error;
      throw new Error(
        "HealthModule's HTTP endpoints (http.enabled, on by default) need @nestjs/terminus: " +
          'npm install @nestjs/terminus, or pass http: { enabled: false }',
        { cause: error },
      );
    },
  );
  // Nest awaits it during bootstrap; until then a failure must not surface as an unhandled rejection.
  endpoints.catch(() => undefined);
  return endpoints;
}

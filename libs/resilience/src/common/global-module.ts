import type { DynamicModule } from '@nestjs/common';
import { InvalidOptionError } from './invalid-option.error.js';

/**
 * The extra of every module of the library (`ResilienceModule`, `HealthModule`, `GrpcHealthModule`,
 * `MetricsModule`), in `forRoot` and `forRootAsync` alike.
 */
export interface GlobalModuleExtras {
  /**
   * Register the module globally, so what it exports (`BreakerRegistry`, `HealthRegistry`,
   * `GrpcHealthService`, `MetricsService`…) is injectable in every module. Default `true`; `false` makes
   * it an ordinary module, visible only where it is imported.
   */
  isGlobal?: boolean;
}

/** The defaults given to `ConfigurableModuleBuilder.setExtras`. */
export const GLOBAL_BY_DEFAULT: GlobalModuleExtras = { isGlobal: true };

/**
 * The `setExtras` transform shared by the four modules: global unless `isGlobal: false`.
 * @throws InvalidOptionError when `isGlobal` is given and is not a boolean (at module definition).
 */
export function globalUnlessOptedOut(owner: string): (definition: DynamicModule, extras: GlobalModuleExtras) => DynamicModule {
  return (definition, { isGlobal }) => {
    if (isGlobal !== undefined && typeof isGlobal !== 'boolean') {
      throw new InvalidOptionError(owner, 'isGlobal', isGlobal, 'must be a boolean');
    }
    return { ...definition, global: isGlobal !== false };
  };
}

import { type DynamicModule, type ForwardReference, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ComponentHealthIndicator } from './component-health.indicator.js';
import { healthControllerFor } from './health.controller.js';

/**
 * The Terminus endpoints at `path`. Terminus' per-request error log is off: the health module logs
 * each status transition once instead of every failing probe. @internal
 */
@Module({})
export class HealthTerminusModule {
  /** @param parent the `HealthModule` definition when it is not global (see `HealthLifecycleModule`). */
  static register(path: string, parent?: ForwardReference<DynamicModule>): DynamicModule {
    return {
      module: HealthTerminusModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(parent === undefined ? [] : [parent])],
      controllers: [healthControllerFor(path)],
      providers: [ComponentHealthIndicator],
    };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ComponentHealthIndicator } from './component-health.indicator.js';
import { healthControllerFor } from './health.controller.js';

/**
 * The Terminus endpoints at `path`. Terminus' per-request error log is off: the health module logs
 * each status transition once instead of every failing probe. @internal
 */
@Module({})
export class HealthTerminusModule {
  static register(path: string): DynamicModule {
    return {
      module: HealthTerminusModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [healthControllerFor(path)],
      providers: [ComponentHealthIndicator],
    };
  }
}

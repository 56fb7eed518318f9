import { type DynamicModule, Module } from '@nestjs/common';
import { type Clock, systemClock } from '@engined/resilience';
import { HealthModule } from '@engined/resilience/health';
import { GrpcHealthModule } from '@engined/resilience/grpc';
import { QuotesController } from './quotes/quotes.controller.js';

export interface DownstreamAppModuleOptions {
  /** SIGTERM/SIGINT: NOT_SERVING at once, close after this long. Default 0. */
  drainDelayMs?: number;
  clock?: Clock;
}

/** The downstream quote service, with grpc.health.v1 (no HTTP). */
@Module({})
export class DownstreamAppModule {
  static forRoot({ drainDelayMs = 0, clock = systemClock }: DownstreamAppModuleOptions = {}): DynamicModule {
    return {
      module: DownstreamAppModule,
      imports: [
        HealthModule.forRoot({ clock, drainDelayMs, drainSignals: ['SIGTERM', 'SIGINT'], http: { enabled: false } }),
        GrpcHealthModule.forRoot(),
      ],
      controllers: [QuotesController],
    };
  }
}

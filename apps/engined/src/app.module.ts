import { type DynamicModule, Module } from '@nestjs/common';
import { type Clock, ResilienceModule, systemClock } from '@engined/resilience';
import { HealthModule } from '@engined/resilience/health';
import { GrpcHealthModule } from '@engined/resilience/grpc';
import { MetricsModule } from '@engined/resilience/metrics';
import { ResilienceAdminModule } from '@engined/resilience/admin';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { DATABASE_BREAKER, databaseBreakerProfile } from './database/database.breaker.js';
import { DatabaseModule } from './database/database.module.js';
import { DOWNSTREAM_BREAKER, downstreamBreakerProfile } from './downstream/downstream.breaker.js';
import { DownstreamModule } from './downstream/downstream.module.js';
import { ClusterOverrides, ClusterOverridesModule } from './overrides/cluster-overrides.module.js';
import { ProcessHealthModule } from './health/process-health.module.js';
import { RecordsModule } from './records/records.module.js';

/** What `createApp` passes besides the configuration. */
export interface AppModuleOptions {
  /** Time source of breakers and health checks. Default the system clock; tests pass a `FakeClock`. */
  clock?: Clock;
  /** Bearer token of the admin API (ADMIN_TOKEN); undefined: the API is not mounted. */
  adminToken?: string;
}

/** The daemon's wiring. `configModule` is `AppConfigModule.forRoot()`'s module (validated already). */
@Module({})
export class AppModule {
  static forRoot(configModule: DynamicModule, { clock = systemClock, adminToken }: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule,
        // Breakers: one per dependency, their options from the configuration.
        ResilienceModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            clock,
            profiles: {
              [DATABASE_BREAKER.profile]: databaseBreakerProfile(config),
              [DOWNSTREAM_BREAKER.profile]: downstreamBreakerProfile(config),
            },
          }),
        }),
        // Health: the @HealthComponent methods of the feature modules, every breaker, and the
        // Terminus endpoints /health, /health/live, /health/ready, /health/startup.
        HealthModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            clock,
            drainDelayMs: config.shutdownDrainMs,
            drainSignals: ['SIGTERM', 'SIGINT'],
            startupGraceMs: config.health.startupGraceMs,
            defaults: { intervalMs: config.health.checkIntervalMs, timeoutMs: config.health.checkTimeoutMs },
            http: { details: config.health.details, token: config.health.token },
          }),
        }),
        // grpc.health.v1 on the gRPC port, fed by the health registry (wired in createApp).
        GrpcHealthModule.forRoot(),
        // GET /metrics. gRPC calls are counted at the grpc-js level (withGrpcMetrics in createApp).
        MetricsModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({ breakerCallDuration: config.metrics.breakerCallDuration }),
        }),
        // The admin API (breakers, components, events, operator actions) under /resilience, when ADMIN_TOKEN is set.
        // Breaker actions are shared with every replica through the database (ClusterOverrides).
        ResilienceAdminModule.forRootAsync({
          enabled: adminToken !== undefined,
          imports: [ClusterOverridesModule],
          inject: [ClusterOverrides],
          useFactory: (overrides: ClusterOverrides) => ({ token: adminToken, overrideStore: overrides.store }),
        }),
        ProcessHealthModule,
        DatabaseModule,
        DownstreamModule,
        RecordsModule,
      ],
    };
  }
}

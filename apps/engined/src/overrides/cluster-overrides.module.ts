import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { type Clock, RESILIENCE_CLOCK } from '@engined/resilience';
import type { BreakerOverrideStore } from '@engined/resilience/admin';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';
import { DatabaseModule } from '../database/database.module.js';
import { PostgresOverrideStore } from './postgres-override.store.js';

/**
 * The store of operator overrides for the admin API: with DATABASE_URL, the PostgreSQL every replica shares
 * (so an action on one replica applies on all, and survives restarts); with the embedded PGlite (one process
 * by construction), none: the admin module's in-memory default.
 */
@Injectable()
export class ClusterOverrides implements OnApplicationShutdown {
  readonly store: BreakerOverrideStore | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig, database: Database, @Inject(RESILIENCE_CLOCK) clock: Clock) {
    const { url, connectTimeoutMs, queryTimeoutMs } = config.database;
    this.store = url === undefined ? undefined : new PostgresOverrideStore({ url, connectTimeoutMs, queryTimeoutMs, clock, schema: database });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof PostgresOverrideStore) await this.store.close();
  }
}

@Module({
  imports: [DatabaseModule],
  providers: [ClusterOverrides],
  exports: [ClusterOverrides],
})
export class ClusterOverridesModule {}

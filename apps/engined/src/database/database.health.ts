import { Inject, Injectable } from '@nestjs/common';
import { type CheckContext, HealthComponent } from '@engined/resilience/health';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Database } from './database.js';

/**
 * The database as a health component: the check is `SELECT 1` with a timeout, the heal
 * rebuilds the pool (a pool whose connections all died recovers at once instead of
 * failing calls one by one). Readiness and startup, never liveness: restarting the daemon
 * does not fix a dead database. Critical: without it the daemon cannot serve.
 *
 * The check bypasses the `database` breaker on purpose: it must see the database come back
 * while the breaker is still open.
 */
@Injectable()
export class DatabaseHealth {
  constructor(
    private readonly database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @HealthComponent({
    name: 'database',
    type: 'database',
    critical: true,
    probes: ['readiness', 'startup'],
    heal: 'heal',
    healing: { backoff: { minMs: 500, maxMs: 30_000 }, maxAttempts: 10 },
  })
  async check(_context?: CheckContext): Promise<void> {
    // The module aborts a check at HEALTH_CHECK_TIMEOUT_MS; pg cannot be aborted, so it gets the same limit.
    await this.database.ping(this.config.health.checkTimeoutMs);
  }

  heal(): void {
    this.database.rebuildPool();
  }
}

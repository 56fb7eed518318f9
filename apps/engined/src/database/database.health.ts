import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { type CheckContext, HealthComponent, HealthRegistry } from '@engined/resilience/health';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DATABASE_BREAKER } from './database.breaker.js';
import { Database } from './database.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/**
 * How long after a heal a passing check still verifies it: six checks at the default interval, so the
 * heal in progress when the database returns is the one credited.
 */
const HEAL_VERIFY_WINDOW_MS = 30_000;
/** Ten heals that the database did not answer within their window: GAVE_UP after about seven minutes of outage. */
const HEAL_ATTEMPTS = { maxAttempts: 10, windowMs: 600_000 } as const;

/**
 * The database as a health component: the check is `SELECT 1` with a timeout, the heal
 * rebuilds the pool (a pool whose connections all died recovers at once instead of
 * failing calls one by one) and, when the embedded database's worker thread died, starts
 * it again. Readiness and startup, never liveness: restarting the daemon
 * does not fix a dead database. Critical: without it the daemon cannot serve.
 *
 * The check bypasses the `database` breaker on purpose: it must see the database come back
 * while the breaker is still open. The component `guards` that breaker, so the two are linked:
 * a passing check half-opens it at once (the next query probes), a trip or three failed queries
 * in a row fail the component at once, and readiness fails while the breaker rejects every call.
 * A heal is judged within `HEAL_VERIFY_WINDOW_MS`: rebuilding the pool cannot work before the
 * database answers again, and the check that first sees it answer verifies the heal.
 */
@Injectable()
export class DatabaseHealth implements OnApplicationBootstrap {
  constructor(
    private readonly database: Database,
    private readonly embedded: EmbeddedPostgres,
    private readonly registry: HealthRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @HealthComponent({
    name: 'database',
    type: 'database',
    critical: true,
    probes: ['readiness', 'startup'],
    guards: [DATABASE_BREAKER.name],
    heal: 'heal',
    healing: { backoff: { minMs: 500, maxMs: 30_000 }, ...HEAL_ATTEMPTS, verifyWindowMs: HEAL_VERIFY_WINDOW_MS },
    // A flapping database is held failing until it is steady: every write needs it, so it never passes for degraded.
    flapping: { status: 'unhealthy' },
  })
  async check(_context?: CheckContext): Promise<void> {
    // The embedded database's worker died: the component says so (the calls only say "database unavailable").
    const crash = this.config.database.url === undefined ? this.embedded.failure : undefined;
    if (crash !== undefined) throw new Error(crash);
    // The module aborts a check at HEALTH_CHECK_TIMEOUT_MS; pg cannot be aborted, so it gets the same limit.
    await this.database.ping(this.config.health.checkTimeoutMs);
  }

  heal(): Promise<void> {
    return this.database.heal();
  }

  /** A database that was down at start is checked the moment it opens, not at the next interval. */
  onApplicationBootstrap(): void {
    if (this.database.opened) return;
    this.database.onOpen(() => {
      this.registry.runNow('database').catch(() => undefined);
    });
  }
}

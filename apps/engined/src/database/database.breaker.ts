import type { BreakerProfile } from '@engined/resilience';
import type { AppConfig } from '../config/app-config.js';
import { DatabaseUnavailableError } from './database-unavailable.error.js';

/** The one breaker every database call goes through (name and profile). */
export const DATABASE_BREAKER = { name: 'database', profile: 'database' } as const;

/**
 * Trips when half of the last 20 calls (at least 5) lost the connection or timed out.
 * Only unavailability counts: a constraint violation is the caller's problem, and letting
 * bad input open the breaker would let one client take the API down for everyone.
 */
export function databaseBreakerProfile(config: AppConfig): BreakerProfile {
  const { connectTimeoutMs, queryTimeoutMs } = config.database;
  return {
    window: { kind: 'count', size: 20 },
    minimumCalls: 5,
    failureRateThreshold: 50,
    openDurationMs: { initialMs: 2_000, maxMs: 30_000, multiplier: 2, jitter: 0.1 },
    // pg cannot abort a query mid-flight (it takes no AbortSignal, so no @BreakerSignal here): its own
    // limits, connection wait plus query, fail the call. The breaker's timeout sits just behind them as a
    // backstop, so pg's more precise error (UNAVAILABLE, with the cause logged) normally wins.
    timeoutMs: connectTimeoutMs + queryTimeoutMs + 250,
    recordErrors: [DatabaseUnavailableError],
  };
}

import type { RegistryBulkheadOptions } from '@engined/resilience';
import type { AppConfig } from '../config/app-config.js';

/** The bulkhead every statement of `Database.query` runs in (not the health check's ping). */
export const DATABASE_BULKHEAD = 'database';

/**
 * One slot per pooled connection (DATABASE_POOL_SIZE), DATABASE_MAX_QUEUED calls waiting for one, each for at
 * most DATABASE_CONNECT_TIMEOUT_MS (the bound pg put on waiting for a pooled connection before the bulkhead
 * held the queue; `Database` reports such a wait as unavailability, as pg did); any further call is refused at once.
 */
export function databaseBulkheadOptions(config: AppConfig): RegistryBulkheadOptions {
  const { poolSize, maxQueued, connectTimeoutMs } = config.database;
  return { maxConcurrent: poolSize, maxQueued, queueTimeoutMs: connectTimeoutMs };
}

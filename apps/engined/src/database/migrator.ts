import type { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Migration } from './migrations.js';
import { inTransaction } from './transaction.js';

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in version order, in one
 * transaction. An advisory lock serialises daemons starting at once against one database.
 * Returns the versions applied.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[], logger: Logger): Promise<number[]> {
  const startedAt = performance.now();
  const result = await inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('engined.schema_migrations'))`);
    // Another instance migrating holds the lock: how long this one waited says so in the log line.
    const lockedAt = performance.now();
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer     PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations.toSorted((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return { applied, lockedAt };
  });
  // Logged once committed.
  const took = `${Math.round(performance.now() - startedAt)} ms, ${Math.round(result.lockedAt - startedAt)} ms of it waiting for the migration lock`;
  logger.log(result.applied.length > 0 ? `schema migrated: applied ${result.applied.join(', ')} (${took})` : `schema up to date (${took})`);
  return result.applied;
}

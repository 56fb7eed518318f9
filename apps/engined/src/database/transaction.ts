import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one pooled client inside BEGIN … COMMIT; on an error, rolls back and rethrows. A client that
 * failed is destroyed rather than returned to the pool (its connection may be the reason).
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(failure);
  }
}

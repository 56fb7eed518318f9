import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CircuitBreaker } from '@engined/resilience';
import { Database } from '../database/database.js';
import { DATABASE_BREAKER } from '../database/database.breaker.js';
import type { RecordRow } from './record.js';

const COLUMNS = 'seq, id, name, payload, create_time';

/**
 * An upper bound of a row's size in a ListRecords response: name and payload as PostgreSQL prints
 * them (jsonb text has spaces the compact JSON sent lacks), plus the id, the timestamp and every
 * field tag and length (75 bytes at most for a record under 2 MB).
 */
const ROW_BYTES = 'octet_length(name) + octet_length(payload::text) + 80';

/** What `insertOnce` found: the row it inserted, or the row an earlier attempt with the same request id stored. */
export type InsertOnceResult =
  | { outcome: 'inserted'; row: RecordRow }
  | { outcome: 'existing'; row: RecordRow; samePayload: boolean };

/** A row with `page_bytes`: the size of the page up to and including it, by {@link ROW_BYTES} (bigint as text). */
export type PagedRecordRow = RecordRow & { page_bytes: string };

/**
 * SQL for the `records` table. Each method is one autocommit statement: a resolved
 * insert or delete is committed, and no transaction is held across awaits. Every method
 * goes through the shared `database` breaker.
 */
@Injectable()
export class RecordsRepository {
  constructor(private readonly database: Database) {}

  @CircuitBreaker(DATABASE_BREAKER)
  async insert(name: string, payload: object): Promise<RecordRow> {
    const { rows } = await this.database.query<RecordRow>(
      `INSERT INTO records (id, name, payload) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [randomUUID(), name, JSON.stringify(payload)],
    );
    return rows[0]!;
  }

  /**
   * Inserts the record unless one with `requestId` exists (the unique column decides, so concurrent attempts
   * insert one row between them), else returns that one, saying whether it holds the same name and payload
   * (as jsonb values: key order and spacing do not matter). Two autocommit statements at most: the insert, and
   * the read of the existing row (a separate statement so that it sees a row a racing attempt just committed).
   */
  @CircuitBreaker(DATABASE_BREAKER)
  async insertOnce(name: string, payload: object, requestId: string): Promise<InsertOnceResult> {
    const json = JSON.stringify(payload);
    // A row deleted between the two statements frees its request id: insert again (bounded, as each round needs
    // another delete of that very row to race it).
    for (let round = 0; round < 3; round++) {
      const inserted = await this.database.query<RecordRow>(
        `INSERT INTO records (id, name, payload, request_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (request_id) DO NOTHING RETURNING ${COLUMNS}`,
        [randomUUID(), name, json, requestId],
      );
      if (inserted.rows[0]) return { outcome: 'inserted', row: inserted.rows[0] };
      const existing = await this.database.query<RecordRow & { same: boolean }>(
        `SELECT ${COLUMNS}, (name = $2 AND payload = $3::jsonb) AS same FROM records WHERE request_id = $1`,
        [requestId, name, json],
      );
      const row = existing.rows[0];
      if (row) {
        const { same, ...record } = row;
        return { outcome: 'existing', row: record, samePayload: same };
      }
    }
    throw new Error(`request_id ${requestId}: the record was deleted while it was being created, three times in a row`);
  }

  @CircuitBreaker(DATABASE_BREAKER)
  async findById(id: string): Promise<RecordRow | undefined> {
    const { rows } = await this.database.query<RecordRow>(`SELECT ${COLUMNS} FROM records WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Up to `limit` records after `afterSeq`, in creation order, cut by size: the rows whose page ends
   * within `maxBytes`, then the next one (it tells the caller another page exists; also when the first
   * row alone is larger). Rows beyond those never leave the database.
   */
  @CircuitBreaker(DATABASE_BREAKER)
  async list(afterSeq: string | undefined, limit: number, maxBytes: number): Promise<PagedRecordRow[]> {
    const { rows } = await this.database.query<PagedRecordRow>(
      `SELECT ${COLUMNS}, page_bytes FROM (
         SELECT ${COLUMNS}, ${ROW_BYTES} AS row_bytes,
                sum(${ROW_BYTES}) OVER (ORDER BY seq) AS page_bytes,
                row_number() OVER (ORDER BY seq) AS n
         FROM records WHERE seq > $1 ORDER BY seq LIMIT $2
       ) page
       WHERE page_bytes - row_bytes <= $3 OR n <= 2
       ORDER BY seq`,
      [afterSeq ?? '0', limit, maxBytes],
    );
    return rows;
  }

  /** True when a record was deleted. */
  @CircuitBreaker(DATABASE_BREAKER)
  async deleteById(id: string): Promise<boolean> {
    const { rowCount } = await this.database.query('DELETE FROM records WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }
}

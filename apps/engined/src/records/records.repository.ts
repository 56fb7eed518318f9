import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CircuitBreaker } from '@engined/resilience';
import { Database } from '../database/database.js';
import { DATABASE_BREAKER } from '../database/database.breaker.js';
import type { RecordRow } from './record.js';

const COLUMNS = 'seq, id, name, payload, create_time';

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

  @CircuitBreaker(DATABASE_BREAKER)
  async findById(id: string): Promise<RecordRow | undefined> {
    const { rows } = await this.database.query<RecordRow>(`SELECT ${COLUMNS} FROM records WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Up to `limit` records after `afterSeq`, in creation order. */
  @CircuitBreaker(DATABASE_BREAKER)
  async list(afterSeq: string | undefined, limit: number): Promise<RecordRow[]> {
    const { rows } = await this.database.query<RecordRow>(
      `SELECT ${COLUMNS} FROM records WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq ?? '0', limit],
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

/** A record as the API returns it (`engined.v1.Record`, camelCase as proto-loader gives it). */
export interface RecordMessage {
  id: string;
  name: string;
  /** Compact JSON text of the stored object. */
  payload: string;
  /** RFC 3339, UTC. */
  createTime: string;
}

/** A row of the `records` table as `pg` returns it. */
export interface RecordRow {
  /** bigint, as a string: the keyset for paging. */
  seq: string;
  id: string;
  name: string;
  payload: object;
  create_time: Date;
}

export function toMessage(row: RecordRow): RecordMessage {
  return {
    id: row.id,
    name: row.name,
    payload: JSON.stringify(row.payload),
    createTime: row.create_time.toISOString(),
  };
}

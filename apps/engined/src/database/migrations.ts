/** One schema change. Versions only grow; an applied migration is never edited, only followed by a new one. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The schema, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'create records',
    sql: `
      CREATE TABLE records (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id          uuid        NOT NULL UNIQUE,
        name        text        NOT NULL,
        payload     jsonb       NOT NULL,
        create_time timestamptz NOT NULL DEFAULT now()
      )`,
  },
  {
    version: 2,
    name: 'create breaker_overrides',
    // Operator overrides shared by every replica (apps/engined/src/overrides): one row per breaker held in an
    // operator state; changes are numbered from one sequence and announced with NOTIFY.
    sql: `
      CREATE SEQUENCE breaker_override_versions;
      CREATE TABLE breaker_overrides (
        breaker    text        PRIMARY KEY,
        mode       text        NOT NULL CHECK (mode IN ('force-open', 'disable', 'metrics-only')),
        reason     text        NOT NULL,
        actor      text        NOT NULL,
        at         timestamptz NOT NULL,
        origin     text        NOT NULL,
        version    bigint      NOT NULL
      )`,
  },
  {
    version: 3,
    name: 'records request_id',
    // CreateRecord's idempotency key: unique, so two attempts of one request (racing, or on two replicas)
    // cannot both insert; NULL (no key) never conflicts.
    sql: `ALTER TABLE records ADD COLUMN request_id text UNIQUE`,
  },
];

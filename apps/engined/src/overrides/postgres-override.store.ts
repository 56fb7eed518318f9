import { Logger } from '@nestjs/common';
import type { Clock, TimerHandle } from '@engined/resilience';
import type {
  BreakerActionName,
  BreakerOverride,
  BreakerOverrideChange,
  BreakerOverrideListener,
  BreakerOverrideStore,
} from '@engined/resilience/admin';
import { Client, Pool, type QueryConfig } from 'pg';
import { inTransaction } from '../database/transaction.js';

/** The NOTIFY channel of override changes (the payload is the change as JSON, well under NOTIFY's 8000 bytes). */
export const OVERRIDE_CHANNEL = 'engined_breaker_overrides';
/** Serialises writers, so versions are taken in commit order. */
const WRITE_LOCK = `SELECT pg_advisory_xact_lock(hashtext('engined.breaker_overrides'))`;
/** First and largest delay between two attempts to re-open the LISTEN connection. */
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/**
 * How often the LISTEN connection is pinged: a server that hangs (or a network that drops packets) never
 * ends the connection, so silence alone would look like "no changes".
 */
const HEARTBEAT_MS = 2_000;

const ACTIONS: ReadonlySet<string> = new Set<BreakerActionName>(['force-open', 'disable', 'metrics-only', 'reset']);

export interface PostgresOverrideStoreOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly clock: Clock;
  /** Whether the schema (the `breaker_overrides` table) is migrated: the daemon's `Database`. */
  readonly schema: { readonly opened: boolean; onOpen(listener: () => void): void };
}

interface OverrideRow {
  breaker: string;
  mode: BreakerOverride['action'];
  reason: string;
  actor: string;
  at_ms: string;
  origin: string;
  version: string;
}

/**
 * Breaker overrides in the database every replica already uses: the `breaker_overrides` table holds the
 * current ones, and each change is announced on the `engined_breaker_overrides` channel (NOTIFY is delivered
 * at commit, to every listening session, in commit order). Its own connections, outside the records' pool and
 * bulkhead: one for writes and loads, one that LISTENs (re-opened with backoff when it is lost, pinged to
 * detect a hung server). Two connections per replica to count against `max_connections`.
 */
export class PostgresOverrideStore implements BreakerOverrideStore {
  readonly description = 'postgresql';
  private readonly logger = new Logger('BreakerOverrides');
  private readonly pool: Pool;
  private readonly listeners = new Set<BreakerOverrideListener>();
  private client: Client | undefined;
  private connected = false;
  private attempts = 0;
  private reconnectTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private closed = false;

  constructor(private readonly options: PostgresOverrideStoreOptions) {
    this.pool = new Pool({
      connectionString: options.url,
      max: 1,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'engined-overrides',
    });
    // An idle client whose server went away emits 'error' on the pool; unhandled, it would kill the process.
    this.pool.on('error', () => undefined);
  }

  async publish(change: Omit<BreakerOverrideChange, 'version'>): Promise<BreakerOverrideChange> {
    this.requireSchema();
    return inTransaction(this.pool, async (client) => {
      await client.query(WRITE_LOCK);
      const { rows } = await client.query<{ version: string }>(`SELECT nextval('breaker_override_versions') AS version`);
      const committed: BreakerOverrideChange = { ...change, version: Number(rows[0]!.version) };
      if (change.action === 'reset') {
        await client.query('DELETE FROM breaker_overrides WHERE breaker = $1', [change.breaker]);
      } else {
        await client.query(
          `INSERT INTO breaker_overrides (breaker, mode, reason, actor, at, origin, version)
           VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7)
           ON CONFLICT (breaker) DO UPDATE SET mode = $2, reason = $3, actor = $4, at = to_timestamp($5 / 1000.0), origin = $6, version = $7`,
          [change.breaker, change.action, change.reason, change.actor, change.at, change.origin, committed.version],
        );
      }
      await client.query('SELECT pg_notify($1, $2)', [OVERRIDE_CHANNEL, JSON.stringify(committed)]);
      return committed;
    });
  }

  async load(): Promise<readonly BreakerOverride[]> {
    this.requireSchema();
    const { rows } = await this.pool.query<OverrideRow>(
      `SELECT breaker, mode, reason, actor, (extract(epoch FROM at) * 1000)::bigint AS at_ms, origin, version
         FROM breaker_overrides ORDER BY version`,
    );
    return rows.map((row) => ({
      breaker: row.breaker,
      action: row.mode,
      reason: row.reason,
      actor: row.actor,
      at: Number(row.at_ms),
      origin: row.origin,
      version: Number(row.version),
    }));
  }

  subscribe(listener: BreakerOverrideListener): () => Promise<void> {
    this.listeners.add(listener);
    // The database may still be down at start (DATABASE_STARTUP=wait): listen once it is open and migrated.
    if (this.listeners.size === 1) this.options.schema.onOpen(() => void this.connect());
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.close();
    };
  }

  /** Ends both connections; the store is done. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    const client = this.client;
    this.client = undefined;
    await Promise.all([client?.end().catch(() => undefined), this.pool.end().catch(() => undefined)]);
  }

  private requireSchema(): void {
    if (!this.options.schema.opened) throw new Error('the database is not open yet');
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      application_name: 'engined-overrides-listen',
      keepAlive: true,
    });
    this.client = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== OVERRIDE_CHANNEL || message.payload === undefined) return;
      const change = parseChange(message.payload);
      if (change === undefined) {
        this.logger.warn(`ignored a malformed ${OVERRIDE_CHANNEL} notification: ${message.payload.slice(0, 200)}`);
        return;
      }
      for (const listener of this.listeners) listener.change(change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OVERRIDE_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.connected = true;
    this.attempts = 0;
    this.heartbeat(client);
    for (const listener of this.listeners) listener.connection(true);
  }

  private heartbeat(client: Client): void {
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      this.heartbeatTimer = undefined;
      // pg honours a per-query `query_timeout`; its type definitions omit it.
      client.query({ text: 'SELECT 1', query_timeout: this.options.queryTimeoutMs } as QueryConfig).then(
        () => {
          if (this.client === client && !this.closed) this.heartbeat(client);
        },
        (error: unknown) => this.lost(client, error),
      );
    }, HEARTBEAT_MS);
  }

  /** The LISTEN connection failed or ended: tell the listeners once, drop it, and open a new one with backoff. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.clearTimers();
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.connected) {
      this.connected = false;
      for (const listener of this.listeners) listener.connection(false, error);
    }
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempts++);
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== undefined) this.options.clock.clearTimeout(this.reconnectTimer);
    if (this.heartbeatTimer !== undefined) this.options.clock.clearTimeout(this.heartbeatTimer);
    this.reconnectTimer = undefined;
    this.heartbeatTimer = undefined;
  }
}

/** A change from a notification payload, or undefined when it is not one. */
export function parseChange(payload: string): BreakerOverrideChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const change = value as Record<string, unknown>;
  const strings = ['breaker', 'reason', 'actor', 'origin'].every((key) => typeof change[key] === 'string');
  const numbers = Number.isFinite(change.at) && Number.isSafeInteger(change.version);
  if (!strings || !numbers || typeof change.action !== 'string' || !ACTIONS.has(change.action)) return undefined;
  return change as unknown as BreakerOverrideChange;
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { systemClock } from '@engined/resilience';
import type { BreakerOverrideChange, BreakerOverrideListener } from '@engined/resilience/admin';
import { Pool } from 'pg';
import { MIGRATIONS } from '../../apps/engined/src/database/migrations.js';
import { migrate } from '../../apps/engined/src/database/migrator.js';
import { PostgresOverrideStore, parseChange } from '../../apps/engined/src/overrides/postgres-override.store.js';
import { PostgresServer } from '../support/postgres-server.js';
import { within } from '../support/within.js';
import { Cleanup } from './support/cleanup.js';

/** What a listener was told, with promises for the next change and the next connection report. */
class RecordingListener implements BreakerOverrideListener {
  readonly changes: BreakerOverrideChange[] = [];
  readonly connections: boolean[] = [];
  private waiters: (() => void)[] = [];

  change(change: BreakerOverrideChange): void {
    this.changes.push(change);
    this.wake();
  }

  connection(connected: boolean): void {
    this.connections.push(connected);
    this.wake();
  }

  /** Resolves once `condition` holds (re-checked on every report); bounded by the caller's `within`. */
  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

async function listening(s: PostgresOverrideStore): Promise<RecordingListener> {
  const listener = new RecordingListener();
  s.subscribe(listener);
  await within(listener.until(() => listener.connections.includes(true)), 10_000, 'the LISTEN connection');
  return listener;
}

const SCHEMA_OPEN = { opened: true, onOpen: (listener: () => void) => listener() };
const BASE = { actor: 'ops', at: Date.parse('2026-03-01T12:00:00.000Z'), reason: 'drill' } as const;

describe('PostgresOverrideStore on a real PostgreSQL (table + LISTEN/NOTIFY)', () => {
  const cleanup = new Cleanup();
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await PostgresServer.start();
    const pool = new Pool({ connectionString: pg.url });
    await migrate(pool, MIGRATIONS, { log: () => undefined } as unknown as Logger);
    await pool.end();
  });
  afterAll(async () => {
    await cleanup.run();
    await pg?.close();
  });

  function store(): PostgresOverrideStore {
    return cleanup.add(
      new PostgresOverrideStore({ url: pg.url, connectTimeoutMs: 2_000, queryTimeoutMs: 2_000, clock: systemClock, schema: SCHEMA_OPEN }),
      (s) => s.close(),
    );
  }

  it('publishes to every replica in commit order, keeps the current overrides in the table, and reset removes them', async () => {
    const a = store();
    const b = store();
    const onA = await listening(a);
    const onB = await listening(b);

    const startedAt = performance.now();
    const forced = await a.publish({ ...BASE, breaker: 'db', action: 'force-open', origin: 'replica-a' });
    await within(onB.until(() => onB.changes.length === 1), 5_000, 'the change on replica B');
    console.log(`[override store] NOTIFY reached the other replica ${(performance.now() - startedAt).toFixed(1)} ms after publish began`);
    expect(onB.changes).toEqual([forced]);
    expect(forced).toMatchObject({ breaker: 'db', action: 'force-open', origin: 'replica-a', version: expect.any(Number) });
    await within(onA.until(() => onA.changes.length === 1), 5_000, 'the change delivered back to replica A');
    expect(await b.load()).toEqual([forced]);

    const disabled = await b.publish({ ...BASE, breaker: 'quotes', action: 'disable', origin: 'replica-b' });
    const reset = await b.publish({ ...BASE, breaker: 'db', action: 'reset', reason: 'over', origin: 'replica-b' });
    await within(onA.until(() => onA.changes.length === 3), 5_000, 'two more changes on replica A');
    expect(onA.changes).toEqual([forced, disabled, reset]);
    expect(reset.version).toBeGreaterThan(disabled.version);
    expect(await a.load()).toEqual([disabled]);
    await b.publish({ ...BASE, breaker: 'quotes', action: 'reset', origin: 'replica-b' });
    expect(await a.load()).toEqual([]);
  });

  it('serialises concurrent writers: versions follow commit order, so the table and every replica end on the same change', async () => {
    const a = store();
    const b = store();
    const onA = await listening(a);
    const writes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? a : b).publish({ ...BASE, breaker: 'contended', action: i % 3 === 0 ? 'disable' : 'force-open', reason: `write ${i}`, origin: `w${i}` }),
      ),
    );
    await within(onA.until(() => onA.changes.filter((c) => c.breaker === 'contended').length === 10), 5_000, 'ten notifications');
    const delivered = onA.changes.filter((c) => c.breaker === 'contended').map((c) => c.version);
    expect(delivered).toEqual(delivered.toSorted((x, y) => x - y));
    const last = writes.reduce((newest, w) => (w.version > newest.version ? w : newest));
    expect(await b.load()).toEqual([last]);
    await a.publish({ ...BASE, breaker: 'contended', action: 'reset', origin: 'cleanup' });
  });

  it('reports a lost LISTEN connection and comes back by itself once the server is back', async () => {
    const a = store();
    const onA = await listening(a);
    pg.kill('SIGKILL');
    await within(onA.until(() => onA.connections.at(-1) === false), 10_000, 'the loss of the LISTEN connection');
    await expect(a.publish({ ...BASE, breaker: 'db', action: 'force-open', origin: 'a' })).rejects.toThrow(/ECONNREFUSED|ECONNRESET|terminat|timeout/i);
    await pg.start();
    await within(onA.until(() => onA.connections.at(-1) === true), 20_000, 'the LISTEN connection re-opened');
    const b = store();
    const after = await b.publish({ ...BASE, breaker: 'db', action: 'force-open', origin: 'b' });
    await within(onA.until(() => onA.changes.some((c) => c.version === after.version)), 5_000, 'a change after the reconnect');
    await b.publish({ ...BASE, breaker: 'db', action: 'reset', origin: 'b' });
  });

  it('ignores a notification payload that is not a change', () => {
    expect(parseChange('not json')).toBeUndefined();
    expect(parseChange(JSON.stringify({ breaker: 'db', action: 'explode', reason: 'x', actor: 'a', origin: 'o', at: 1, version: 1 }))).toBeUndefined();
    expect(parseChange(JSON.stringify({ breaker: 'db', action: 'reset', reason: 'x', actor: 'a', origin: 'o', at: 1, version: 1 }))).toEqual({
      breaker: 'db',
      action: 'reset',
      reason: 'x',
      actor: 'a',
      origin: 'o',
      at: 1,
      version: 1,
    });
  });
});

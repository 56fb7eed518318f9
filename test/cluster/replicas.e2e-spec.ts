import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { Client } from 'pg';
import { RecordsClient } from '../app/support/records-client.js';
import { PostgresServer } from '../support/postgres-server.js';
import { within } from '../support/within.js';
import { BalancedWrites, RETRYABLE } from './support/balanced-writes.js';
import { ReadinessRotation } from './support/readiness-rotation.js';
import { ADMIN_TOKEN, Replica } from './support/replica.js';
import { MIGRATIONS } from '../../apps/engined/src/database/migrations.js';

/** Every schema version, in order. */
const VERSIONS = MIGRATIONS.map((m) => m.version);

// Real processes on a loaded machine: each start transpiles the sources. Every wait has its own deadline, named.
const START_MS = 90_000;
const SUITE_MS = 300_000;
/** The drain: readiness is off this long before the gRPC server stops taking calls. */
const DRAIN_MS = 2_000;
/**
 * How long after a replica leaves the rotation a call may still reach it. grpc-js swaps the picker when the
 * resolver reports (measured: 0 late calls on a quiet machine), but one CI run on a loaded machine saw calls
 * reach a replica up to ~15 ms after it left, as a Kubernetes endpoint update also takes a moment to reach
 * every client: the drain is what covers it. A quarter of the drain, so what arrives late is still answered.
 */
const PROPAGATION_MS = DRAIN_MS / 4;

/** Progress on stderr with a timestamp: a run that fails late says where it stood. */
const step = (what: string): void => void process.stderr.write(`[cluster ${new Date().toISOString().slice(11, 23)}] ${what}\n`);

/** The time a replica's migration step took, from its log line. */
const migrationTime = (replica: Replica): string =>
  /schema (?:migrated: applied [\d, ]+|up to date) \(([^)]+)\)/.exec(replica.lines().join('\n'))?.[1] ?? '?';

const ENV = {
  ADMIN_TOKEN,
  DOWNSTREAM_PORT: '0',
  SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
  SHUTDOWN_TIMEOUT_MS: '10000',
  HEALTH_CHECK_INTERVAL_MS: '1000',
  LOG_FORMAT: 'text',
};

describe('three replicas of the daemon on one PostgreSQL', () => {
  let pg: PostgresServer;
  let db: Client;
  const replicas: Replica[] = [];
  let rotation: ReadinessRotation;
  /** ms from spawn to readiness SERVING, per replica, when the three started at once. */
  const readyAfterMs: number[] = [];

  async function ready(replica: Replica, what: string): Promise<void> {
    const process = replica.process!;
    await within(process.line(/gRPC API on /), START_MS, `${replica.name} listening (${what})`);
    rotation.follow(replica.address);
    await within(rotation.until(() => rotation.addresses.includes(replica.address)), START_MS, `${replica.name} readiness SERVING (${what})`);
  }

  beforeAll(async () => {
    pg = await PostgresServer.start();
    db = new Client({ connectionString: pg.url });
    await db.connect();
    rotation = new ReadinessRotation('cluster-test');
    for (const name of ['a', 'b', 'c']) replicas.push(await Replica.create(name, { ...ENV, DATABASE_URL: pg.url }));
    // All three at once on an empty database: each one migrates at start.
    for (const replica of replicas) replica.start();
    await Promise.all(
      replicas.map(async (replica) => {
        await ready(replica, 'first start');
        readyAfterMs.push(Date.now() - replica.startedAt);
      }),
    );
  }, SUITE_MS);

  afterAll(async () => {
    rotation?.close();
    await Promise.all(replicas.map((replica) => replica.dispose()));
    await db?.end();
    await pg?.close();
  }, 60_000);

  it('migrates once when the three start at once: the advisory lock serialises them, the others find nothing to do', async () => {
    const migrated = replicas.filter((replica) => replica.lines().some((line) => line.includes(`schema migrated: applied ${VERSIONS.join(', ')}`)));
    expect(migrated).toHaveLength(1);
    expect(replicas.every((replica) => replica.lines().some((line) => line.includes('database ready at ')))).toBe(true);
    const others = replicas.filter((replica) => replica !== migrated[0]);
    for (const replica of others) expect(replica.lines().some((line) => line.includes('schema up to date ('))).toBe(true);
    const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(VERSIONS);
    console.log(
      `[cluster] three replicas started at once: ${migrated[0]!.name} migrated (${migrationTime(migrated[0]!)}), ` +
        `${others.map((r) => `${r.name} found it done (${migrationTime(r)})`).join(', ')}; readiness SERVING ` +
        `${readyAfterMs.map((ms) => `${ms} ms`).join(', ')} after spawn (sources transpiled on load)`,
    );
  });

  it(
    'rolling restart under steady write load: no call fails without a retryable status, no acknowledged write is lost, and a draining replica leaves the rotation before it stops',
    async () => {
      const load = new BalancedWrites(rotation, 4);
      try {
        // Every replica takes writes before the first restart.
        const began = Date.now();
        for (const replica of replicas) await load.untilServedBy(replica.address, began, 20_000);
        for (const replica of replicas) {
          step(`SIGTERM ${replica.name}; rotation ${rotation.addresses.join(' ')}; ${load.writes.length} writes`);
          const terminatedAt = Date.now();
          const exiting = replica.terminate();
          // Readiness turns off at once: the rotation drops the replica while it still serves (the drain).
          await within(rotation.until(() => (rotation.leftAt(replica.address) ?? 0) >= terminatedAt), 10_000, `${replica.name} leaving the rotation`);
          // The first time it left after SIGTERM (a rejoin and a second leave would not hide the first).
          const leftAt = rotation.changes.find((c) => c.address === replica.address && !c.joined && c.at >= terminatedAt)!.at;
          step(`${replica.name} left the rotation after ${leftAt - terminatedAt} ms`);
          await expect(within(exiting, 60_000, `${replica.name} exiting after SIGTERM`)).resolves.toEqual({ code: 0, signal: null });
          const exitedAt = Date.now();
          step(`${replica.name} exited ${exitedAt - leftAt} ms after leaving`);
          // The balancer stopped sending first: within PROPAGATION_MS of the replica leaving, nothing more was
          // sent to it, it never rejoined while draining, and it left a whole drain before it stopped; what it
          // still had, it answered.
          const late = load.to(replica.address, leftAt);
          const seen = `${late.length} write(s) started after it left (${late.map((w) => `+${w.startedAt - leftAt} ms ${w.id === undefined ? `code ${w.code}` : 'ok'}`).join(', ')}); rotation changes: ${rotation.changes
            .filter((c) => c.address === replica.address)
            .map((c) => `${c.joined ? 'joined' : 'left'} ${c.at - terminatedAt} ms (${c.why})`)
            .join(', ')}`;
          if (late.length > 0) step(`${replica.name}: ${seen}`);
          expect({ seen, rejoined: rotation.changes.some((c) => c.address === replica.address && c.joined && c.at > leftAt) }).toEqual({ seen, rejoined: false });
          expect({ seen, afterPropagation: load.to(replica.address, leftAt + PROPAGATION_MS) }).toEqual({ seen, afterPropagation: [] });
          expect(exitedAt - leftAt).toBeGreaterThanOrEqual(DRAIN_MS);
          expect(load.to(replica.address, terminatedAt).filter((w) => w.id === undefined)).toEqual([]);

          replica.start();
          const restartedAt = Date.now();
          await ready(replica, 'restart');
          step(`${replica.name} back in rotation after ${Date.now() - restartedAt} ms`);
          await load.untilServedBy(replica.address, restartedAt, 20_000);
        }
      } finally {
        await load.stop();
      }

      const failed = load.writes.filter((w) => w.id === undefined);
      expect(failed.filter((w) => !RETRYABLE.has(w.code!))).toEqual([]);
      // Every acknowledged write is in the database.
      const acked = load.acked;
      const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM records WHERE id = ANY($1::uuid[])', [acked]);
      expect(Number(rows[0]!.n)).toBe(acked.length);
      const byReplica = replicas.map((r) => `${r.name} ${load.writes.filter((w) => w.peer === r.address && w.id !== undefined).length}`).join(', ');
      console.log(
        `[cluster] rolling restart of 3 replicas under 4 writers: ${acked.length} writes acknowledged (${byReplica}), ` +
          `${failed.length} refused with a retryable status, 0 lost`,
      );
    },
    SUITE_MS,
  );

  it(
    'a breaker forced open through the admin API of one replica rejects on every replica within 1 s, and stays open across a restart',
    async () => {
      const [a, b, c] = replicas as [Replica, Replica, Replica];
      const forced = await a.admin('POST', '/breakers/database/force-open', { reason: 'cluster drill' });
      const answeredAt = Date.now();
      expect(forced.status).toBe(200);
      const lag: number[] = [];
      for (const replica of [b, c]) {
        await replica.untilBreaker('database', 'FORCED_OPEN', answeredAt + 1_000);
        lag.push(Date.now() - answeredAt);
      }
      // Rejected there: a write to B or C is refused by its breaker.
      for (const replica of [b, c]) {
        const direct = new RecordsClient(replica.address);
        try {
          const refused = await direct.call('CreateRecord', { name: 'while forced open', payload: '{}' });
          expect(refused.ok ? 'ok' : refused.error.code).toBe(status.UNAVAILABLE);
        } finally {
          direct.close();
        }
      }
      const view = (await b.admin('GET', '/breakers/database')).json;
      expect(view).toMatchObject({ state: 'FORCED_OPEN', reason: 'cluster drill', operator: { action: 'force-open', actor: 'operator', reason: 'cluster drill' } });

      // C restarts: it loads the override at start.
      await expect(within(c.terminate(), 60_000, 'c exiting')).resolves.toEqual({ code: 0, signal: null });
      c.start();
      await within(c.process!.line(/gRPC API on /), START_MS, 'c listening after its restart');
      expect((await c.admin('GET', '/breakers/database')).json).toMatchObject({ state: 'FORCED_OPEN', reason: 'cluster drill' });
      const components = (await c.admin('GET', '/components/breaker-overrides')).json;
      expect(components).toMatchObject({ name: 'breaker-overrides' });

      // Reset through B: every replica closes again, and the table is empty.
      expect((await b.admin('POST', '/breakers/database/reset', { reason: 'drill over' })).status).toBe(200);
      const resetAt = Date.now();
      for (const replica of replicas) {
        await replica.untilBreaker('database', 'CLOSED', resetAt + 1_000);
      }
      await expect(db.query('SELECT breaker FROM breaker_overrides')).resolves.toMatchObject({ rows: [] });
      console.log(`[cluster] force-open on a seen on b after ${lag[0]} ms, on c after ${lag[1]} ms (admin API polled)`);
    },
    SUITE_MS,
  );
});

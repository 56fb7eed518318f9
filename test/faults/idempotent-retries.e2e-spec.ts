import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type ServiceError, status, type Client } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../apps/shared/src/grpc/proto-path.js';
import { recordsRetryChannelOptions } from '../../apps/shared/src/grpc/retry-service-config.js';
import { createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { Cleanup } from '../app/support/cleanup.js';
import { startEnginedApp } from '../app/support/engined-test-app.js';
import { HealthWatch } from '../app/support/health-watch.js';
import { scrape, valueOf } from '../metrics/scrape.js';
import { PostgresServer } from '../support/postgres-server.js';
import { within } from '../support/within.js';
import { directPool } from './support/fault-rig.js';

/**
 * Issue 14 §2's test: clients with the documented grpc-js retry service config (RECORDS_RETRY_SERVICE_CONFIG)
 * write with request ids while a real PostgreSQL is SIGKILLed, then hung past the daemon's query timeout (the
 * case where an UNAVAILABLE answer hides a row committed afterwards). A logical write that still fails after
 * grpc-js' retries is sent again with the same request id until it is acknowledged. Afterwards every
 * acknowledged write is stored exactly once, under the record id its client was given.
 *
 * Real time, as the database is a real server; every wait is on a condition with a deadline, the only fixed
 * waits are the faults' own durations.
 */
const WRITERS = 6;
const KILL_MS = 2_000;
/** Longer than DATABASE_QUERY_TIMEOUT_MS: the statements sent before the hang time out, then run after it. */
const HANG_MS = 2_500;
const QUERY_TIMEOUT_MS = 1_000;

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (e: ServiceError | null, r?: { id: string }) => void) => void;

/** One logical write: its request id, and the record id once acknowledged. */
interface LogicalWrite {
  requestId: string;
  id?: string;
  /** Calls that failed even after grpc-js' retries (each sent again with the same request id). */
  resent: number;
}

class RetryingWriters {
  readonly writes: LogicalWrite[] = [];
  readonly failures = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>;
  private readonly clients: Client[];

  constructor(target: string, writers: number) {
    const pkg = loadPackageDefinition(loadSync(protoPath('engined/v1/records.proto'), PROTO_LOADER_OPTIONS));
    const Ctor = (pkg.engined as Record<string, Record<string, ServiceClientConstructor>>).v1!.RecordService!;
    this.clients = Array.from({ length: writers }, () => new Ctor(target, credentials.createInsecure(), recordsRetryChannelOptions()));
    this.done = Promise.all(this.clients.map((client, writer) => this.run(client, writer))).then(() => undefined);
  }

  get acked(): LogicalWrite[] {
    return this.writes.filter((w) => w.id !== undefined);
  }

  /** Resolves once `count` writes are acknowledged at or after `since` (real ms); rejects after `timeoutMs`. */
  ackedAfter(since: number, count: number, timeoutMs: number, what: string): Promise<void> {
    const enough = (): boolean => this.ackTimes.filter((t) => t >= since).length >= count;
    if (enough()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`RetryingWriters: fewer than ${count} writes acknowledged ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (!enough()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Stops starting writes; a write in flight is sent until acknowledged (nothing is left half-done). */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    if (this.closed) return;
    this.closed = true;
    for (const client of this.clients) client.close();
  }

  private readonly ackTimes: number[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private async run(client: Client, writer: number): Promise<void> {
    const create = (client as unknown as Record<string, Unary>).CreateRecord!.bind(client);
    for (let i = 0; this.running; i++) {
      const write: LogicalWrite = { requestId: `w${writer}-${i}-${randomUUID()}`, resent: 0 };
      this.writes.push(write);
      const request = { name: `w${writer}-${i}`, payload: JSON.stringify({ writer, i }), requestId: write.requestId };
      for (;;) {
        const outcome = await new Promise<{ id?: string; error?: ServiceError }>((resolve) =>
          create(request, new Metadata(), { deadline: Date.now() + 10_000 }, (error, response) => resolve(error ? { error } : { id: response!.id })),
        );
        if (outcome.id !== undefined) {
          write.id = outcome.id;
          this.ackTimes.push(Date.now());
          for (const wake of this.waiters) wake();
          break;
        }
        const code = status[outcome.error!.code] ?? String(outcome.error!.code);
        this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
        write.resent++;
        // Paces the re-sends (the retries grpc-js made are already behind this failure); it synchronises nothing.
        await delay(50);
      }
    }
  }
}

describe('clients retrying with request ids across a real PostgreSQL kill and hang (real time)', () => {
  let pg: PostgresServer;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    pg = await PostgresServer.start();
  });
  afterEach(() => cleanup.run());
  afterAll(async () => {
    await pg?.close();
  });

  it('acknowledges every write, and stores each exactly once under the id its client was given', async () => {
    const daemon = cleanup.add(
      await startEnginedApp({
        DATABASE_URL: pg.url,
        HEALTH_STARTUP_GRACE_MS: '0',
        LOG_LEVEL: 'error',
        HEALTH_CHECK_INTERVAL_MS: '1000',
        HEALTH_CHECK_TIMEOUT_MS: '2000',
        DATABASE_CONNECT_TIMEOUT_MS: '2000',
        DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
      }),
      (d) => d.close(),
    );
    const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
    const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
    await within(readiness.next('SERVING'), 10_000, 'readiness SERVING at start');
    const writers = cleanup.add(new RetryingWriters(daemon.grpcTarget, WRITERS), (w) => w.stop());
    let resumed = true;
    cleanup.add(null, () => {
      if (!resumed) pg.kill('SIGCONT');
    });

    await writers.ackedAfter(0, WRITERS * 3, 10_000, 'before the faults');
    pg.kill('SIGKILL');
    await within(readiness.next('NOT_SERVING'), 10_000, 'readiness NOT_SERVING after the kill');
    await delay(KILL_MS);
    await pg.start();
    const restartedAt = Date.now();
    await writers.ackedAfter(restartedAt, WRITERS, 15_000, 'after the restart');

    pg.kill('SIGSTOP');
    resumed = false;
    await delay(HANG_MS);
    pg.kill('SIGCONT');
    resumed = true;
    const resumedAt = Date.now();
    await writers.ackedAfter(resumedAt, WRITERS * 2, 15_000, 'after SIGCONT');
    await within(writers.stop(), 20_000, 'the writes in flight acknowledged');

    const { samples } = await scrape(daemon.app);
    const refusedAttempts = valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'CreateRecord', grpc_code: 'UNAVAILABLE' }) ?? 0;
    const direct = directPool(pg.url);
    try {
      const { rows } = await direct.query<{ request_id: string; id: string }>(
        'SELECT request_id, id FROM records WHERE request_id = ANY($1::text[])',
        [writers.writes.map((w) => w.requestId)],
      );
      const stored = new Map<string, string[]>();
      for (const row of rows) stored.set(row.request_id, [...(stored.get(row.request_id) ?? []), row.id]);
      const duplicated = [...stored].filter(([, ids]) => ids.length > 1);
      const lost = writers.acked.filter((w) => stored.get(w.requestId)?.[0] !== w.id);
      console.log(
        `[idempotent retries] ${writers.acked.length} writes acknowledged by ${WRITERS} retrying clients; ` +
          `${refusedAttempts} CreateRecord attempts answered UNAVAILABLE on the server; ` +
          `${writers.writes.filter((w) => w.resent > 0).length} writes sent again after grpc-js gave up (${JSON.stringify(Object.fromEntries(writers.failures))}); ` +
          `${rows.length} rows for ${stored.size} request ids; ${duplicated.length} duplicated; ${lost.length} lost`,
      );
      // The faults did reach the clients: attempts were refused and retried.
      expect(refusedAttempts).toBeGreaterThan(0);
      expect(writers.acked).toHaveLength(writers.writes.length);
      expect(duplicated).toEqual([]);
      expect(lost).toEqual([]);
      expect(rows).toHaveLength(writers.acked.length);
    } finally {
      await direct.end();
    }
  }, 90_000);
});

import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Client, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { BreakerRegistry, CircuitState, GRPC_RETRY_PUSHBACK_METADATA, RETRY_AFTER_MS_METADATA } from '@engined/resilience';
import { HealState, HealthRegistry, HealthStatus } from '@engined/resilience/health';
import { filter, firstValueFrom } from 'rxjs';
import request from 'supertest';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { runCli, USAGE } from '../../apps/engined/src/cli/engined-client.js';
import { Database } from '../../apps/engined/src/database/database.js';
import { EmbeddedPostgres } from '../../apps/engined/src/database/embedded-postgres.js';
import { EmbeddedDownstream } from '../../apps/engined/src/downstream/embedded-downstream.js';
import { FALLBACK_QUOTE, QuoteClient } from '../../apps/engined/src/downstream/quote.client.js';
import { checkHealth, createHealthClient, listHealth } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { RecordsRepository } from '../../apps/engined/src/records/records.repository.js';
import { scrape, valueOf } from '../metrics/scrape.js';
import { FakeClock, startEnginedApp } from './support/engined-test-app.js';
import { Cleanup } from './support/cleanup.js';
import { HealthWatch } from './support/health-watch.js';
import { RecordsClient } from './support/records-client.js';

interface WireRecord {
  id: string;
  name: string;
  payload: string;
  createTime: string;
}

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** Runs the CLI in-process against the daemon; returns the exit code and what it printed. */
async function cli(daemon: EnginedApp, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { ENGINED_ADDR: daemon.grpcTarget } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Rows stored under `requestId`, read in the daemon's database. */
async function countRows(daemon: EnginedApp, requestId: string): Promise<number> {
  const { rows } = await daemon.app.get(Database).query<{ n: string }>('SELECT count(*) AS n FROM records WHERE request_id = $1', [requestId]);
  return Number(rows[0]!.n);
}

describe('engined.v1.RecordService end to end', () => {
  const clock = new FakeClock();
  let daemon: EnginedApp;
  let client: RecordsClient;

  beforeAll(async () => {
    // No startup grace: heals may run as soon as a component fails (time only moves with `clock`).
    daemon = await startEnginedApp({ HEALTH_STARTUP_GRACE_MS: '0' }, clock);
    client = new RecordsClient(daemon.grpcTarget);
  });

  // Per-test resources (health clients, watches) are released even when a test times out.
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  afterAll(async () => {
    client?.close();
    await daemon?.close();
  });

  const create = (name: string, payload = '{}') => client.ok<WireRecord>('CreateRecord', { name, payload });

  it('creates, gets and deletes a record; an unknown id is NOT_FOUND', async () => {
    const created = await create('first', '{"color":"blue","n":[1,2]}');
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'first',
      // Stored as jsonb: PostgreSQL's key order, compact JSON.
      payload: '{"n":[1,2],"color":"blue"}',
      createTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    await expect(client.ok('GetRecord', { id: created.id })).resolves.toEqual(created);
    await expect(client.ok('DeleteRecord', { id: created.id })).resolves.toEqual({});

    for (const method of ['GetRecord', 'DeleteRecord', 'EnrichRecord']) {
      const outcome = await client.call(method, { id: created.id });
      expect(outcome.ok ? 'ok' : [outcome.error.code, outcome.error.details]).toEqual([status.NOT_FOUND, `record ${created.id} not found`]);
    }
    const unknown = await client.call('GetRecord', { id: UNKNOWN_ID });
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe(status.NOT_FOUND);
  });

  it.each([
    ['CreateRecord', 'no name', {}, 'name: is required'],
    ['CreateRecord', 'an empty name', { name: '' }, 'name: is required'],
    ['CreateRecord', 'a 201-character name', { name: 'x'.repeat(201) }, 'name: must be at most 200 characters'],
    ['CreateRecord', 'a NUL in the name', { name: 'a\u0000b' }, 'name: must not contain control characters'],
    ['CreateRecord', 'a payload that is not JSON', { name: 'ok', payload: '{oops' }, 'payload: must be valid JSON'],
    ['CreateRecord', 'a JSON array payload', { name: 'ok', payload: '[]' }, 'payload: must be a JSON object'],
    ['CreateRecord', 'a \\u0000 escape in the payload', { name: 'ok', payload: '{"a":"\\u0000"}' }, 'payload: must not contain \\u0000'],
    ['CreateRecord', 'a 70 kB payload', { name: 'ok', payload: JSON.stringify({ a: 'x'.repeat(70_000) }) }, 'payload: must be at most 65536 bytes'],
    ['GetRecord', 'no id', {}, 'id: is required'],
    ['GetRecord', 'an id that is not a UUID', { id: 'not-a-uuid' }, 'id: must be a UUID'],
    ['DeleteRecord', 'SQL in the id', { id: "1'; DROP TABLE records; --" }, 'id: must be a UUID'],
    ['EnrichRecord', 'an empty id', { id: '' }, 'id: is required'],
    ['ListRecords', 'a negative page size', { pageSize: -5 }, 'page_size: must not be negative'],
    ['ListRecords', 'a made-up page token', { pageToken: 'bogus' }, 'page_token: is not a token returned by ListRecords'],
  ])('%s with %s → INVALID_ARGUMENT naming the field', async (method, _label, message, details) => {
    const outcome = await client.call(method, message);
    expect(outcome.ok ? 'ok' : [outcome.error.code, outcome.error.details]).toEqual([status.INVALID_ARGUMENT, details]);
  });

  it('answers bytes that are not a valid message with INVALID_ARGUMENT, and keeps serving', async () => {
    const raw = new Client(daemon.grpcTarget, credentials.createInsecure());
    try {
      // A tag varint that never ends: protobuf decoding fails.
      const bytes = Buffer.from([0xff, 0xff, 0xff]);
      const error = await new Promise<ServiceError | null>((resolve) => {
        raw.makeUnaryRequest(
          '/engined.v1.RecordService/CreateRecord',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          (e) => resolve(e),
        );
      });
      expect([error?.code, error?.details]).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^request: could not be decoded/)]);
    } finally {
      raw.close();
    }
    await expect(create('after garbage')).resolves.toMatchObject({ name: 'after garbage' });
  });

  it('refuses a request over 256 KiB with RESOURCE_EXHAUSTED, counts it as an ended call, and keeps serving', async () => {
    const outcome = await client.call('CreateRecord', { name: 'big', payload: JSON.stringify({ a: 'x'.repeat(300_000) }) });
    expect(outcome.ok ? 'ok' : outcome.error.code).toBe(status.RESOURCE_EXHAUSTED);
    await expect(create('after big')).resolves.toMatchObject({ name: 'after big' });
    // grpc-js refuses it before any Nest code runs, below every interceptor: grpc-js' public interceptor API
    // only says the call ended, so it counts CANCELLED (README, "How grpc_code is derived").
    const { samples } = await scrape(daemon.app);
    expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'CreateRecord', grpc_code: 'CANCELLED' })).toBe(1);
    expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'CreateRecord', grpc_code: 'RESOURCE_EXHAUSTED' })).toBeUndefined();
  });

  it('answers an unexpected error with INTERNAL, without its message, and counts it as INTERNAL', async () => {
    const repository = daemon.app.get(RecordsRepository);
    const findById = jest.spyOn(repository, 'findById').mockRejectedValueOnce(new Error('disk on fire at /var/lib/secret'));
    cleanup.add(findById, (spy) => spy.mockRestore());
    const outcome = await client.call('GetRecord', { id: UNKNOWN_ID });
    expect(outcome.ok ? 'ok' : [outcome.error.code, outcome.error.details]).toEqual([status.INTERNAL, 'internal error']);
    const { samples } = await scrape(daemon.app);
    expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'GetRecord', grpc_code: 'INTERNAL' })).toBe(1);
    expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'GetRecord', grpc_code: 'UNKNOWN' })).toBeUndefined();
  });

  describe('CreateRecord with a request_id', () => {
    const REQUEST_ID = '3f6c1a52-7d1e-4b8a-9f0e-2c5d8b7a6e41';

    it('returns the stored record for the same request_id and payload (as JSON values), and ALREADY_EXISTS for another payload', async () => {
      const first = await client.ok<WireRecord>('CreateRecord', { name: 'once', payload: '{"a":1,"b":[2]}', requestId: REQUEST_ID });
      // The same request, sent again (a retry after a lost answer): key order and spacing do not matter.
      await expect(client.ok('CreateRecord', { name: 'once', payload: '{ "b": [2], "a": 1 }', requestId: REQUEST_ID })).resolves.toEqual(first);
      expect(await countRows(daemon, REQUEST_ID)).toBe(1);

      for (const other of [{ name: 'once', payload: '{"a":2,"b":[2]}' }, { name: 'twice', payload: '{"a":1,"b":[2]}' }]) {
        const outcome = await client.call('CreateRecord', { ...other, requestId: REQUEST_ID });
        expect(outcome.ok ? 'ok' : [outcome.error.code, outcome.error.details]).toEqual([
          status.ALREADY_EXISTS,
          `request_id: ${REQUEST_ID} was already used for record ${first.id}, with a different name or payload`,
        ]);
      }
      expect(await countRows(daemon, REQUEST_ID)).toBe(1);
      // The key lives with its record: deleted, the request_id is free again.
      await client.ok('DeleteRecord', { id: first.id });
      const again = await client.ok<WireRecord>('CreateRecord', { name: 'twice', requestId: REQUEST_ID });
      expect(again.id).not.toBe(first.id);
      await client.ok('DeleteRecord', { id: again.id });
    });

    it('stores one row when attempts with the same request_id race each other', async () => {
      const requestId = 'race-1';
      const answers = await Promise.all(Array.from({ length: 12 }, () => client.ok<WireRecord>('CreateRecord', { name: 'raced', requestId })));
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(await countRows(daemon, requestId)).toBe(1);
    });

    it('refuses a malformed request_id with INVALID_ARGUMENT naming the field', async () => {
      const outcome = await client.call('CreateRecord', { name: 'x', requestId: 'no spaces allowed' });
      expect(outcome.ok ? 'ok' : [outcome.error.code, outcome.error.details]).toEqual([
        status.INVALID_ARGUMENT,
        "request_id: may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'",
      ]);
    });
  });

  it('pages through every record once, in creation order, ending with an empty token', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) mine.push((await create(`page-${i}`)).id);
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await client.ok<{ records: WireRecord[]; nextPageToken: string }>('ListRecords', { pageSize: 2, pageToken });
      expect(page.records.length).toBeLessThanOrEqual(2);
      seen.push(...page.records.map((r) => r.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '' && pages < 100);
    expect(pageToken).toBe('');
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => mine.includes(id))).toEqual(mine);

    const all = await client.ok<{ records: WireRecord[]; nextPageToken: string }>('ListRecords', {});
    expect(all.records.map((r) => r.id)).toEqual(seen);
    expect(all.nextPageToken).toBe('');
  });

  describe('EnrichRecord and the downstream', () => {
    it('adds a quote from the downstream', async () => {
      const record = await create('resilience');
      const enriched = await client.ok<{ record: WireRecord; quote: string; quoteAuthor: string; degraded: boolean }>('EnrichRecord', {
        id: record.id,
      });
      expect(enriched).toEqual({ record, quote: expect.any(String), quoteAuthor: expect.any(String), degraded: false });
      expect(enriched.quote).not.toBe(FALLBACK_QUOTE.text);
    });

    it('answers with the fallback, marked degraded, while the downstream is down; its check fails and its heal rebuilds the channel', async () => {
      const record = await create('outage');
      const registry = daemon.app.get(HealthRegistry);
      // Should the test fail half-way, the next ones still find the downstream up and a fresh channel.
      const downstream = cleanup.add(daemon.app.get(EmbeddedDownstream), async (d) => {
        if (d.running) return;
        await d.start();
        daemon.app.get(QuoteClient).rebuildChannel();
      });
      const heals = (result: string) =>
        firstValueFrom(registry.events$.pipe(filter((e) => e.type === 'heal_attempt' && e.component === 'downstream' && e.result === result)));
      await registry.runNow();
      await downstream.stop();
      const degraded = await client.ok('EnrichRecord', { id: record.id });
      expect(degraded).toEqual({ record, quote: FALLBACK_QUOTE.text, quoteAuthor: FALLBACK_QUOTE.author, degraded: true });

      // grpc.health.v1 Check against the downstream fails: after the failure threshold the component is
      // UNHEALTHY and healed (the channel rebuilt), in vain while it is down. Readiness only degrades.
      const failedHeal = heals('failure');
      for (let i = 0; i < 3; i++) await registry.runNow('downstream');
      expect(registry.get('downstream')!.status).toBe(HealthStatus.UNHEALTHY);
      await failedHeal;
      expect(registry.status('readiness')).toBe(HealthStatus.DEGRADED);

      // Back up: the next heal dials afresh instead of waiting out the old channel's reconnect backoff.
      await downstream.start();
      const healed = heals('success');
      clock.advance(registry.get('downstream')!.heal!.nextAttemptAt! - clock.now());
      await healed;
      expect(registry.get('downstream')!.status).toBe(HealthStatus.HEALTHY);
      await expect(client.ok('EnrichRecord', { id: record.id })).resolves.toMatchObject({ degraded: false });
    });
  });

  describe('npm run client', () => {
    it('creates, gets, lists, enriches and deletes a record, printing JSON', async () => {
      const created = await cli(daemon, 'create', '--name', 'from the cli', '--payload', '{"source":"cli"}');
      expect(created.code).toBe(0);
      const record = JSON.parse(created.out) as { id: string; name: string; payload: string };
      expect(record).toMatchObject({ name: 'from the cli', payload: '{"source":"cli"}' });

      expect(JSON.parse((await cli(daemon, 'get', record.id)).out)).toEqual(record);
      const listed = JSON.parse((await cli(daemon, 'list', '--page-size', '100')).out) as { records: { id: string }[] };
      expect(listed.records.map((r) => r.id)).toContain(record.id);
      expect(JSON.parse((await cli(daemon, 'enrich', record.id)).out)).toMatchObject({ record, degraded: false });
      expect(await cli(daemon, 'delete', record.id)).toEqual({ code: 0, out: '{}', err: '' });
      expect(await cli(daemon, 'get', record.id)).toEqual({ code: 1, out: '', err: `NOT_FOUND: record ${record.id} not found` });
    });

    it('sends a new random request_id with each create, or the one given with --request-id', async () => {
      const a = JSON.parse((await cli(daemon, 'create', '--name', 'cli-a')).out) as WireRecord;
      const b = JSON.parse((await cli(daemon, 'create', '--name', 'cli-a')).out) as WireRecord;
      expect(a.id).not.toBe(b.id);
      const stored = await daemon.app.get(Database).query<{ request_id: string }>('SELECT request_id FROM records WHERE id = ANY($1::uuid[])', [[a.id, b.id]]);
      for (const row of stored.rows) expect(row.request_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set(stored.rows.map((r) => r.request_id)).size).toBe(2);

      const given = await cli(daemon, 'create', '--name', 'cli-c', '--request-id', 'cli-order-1');
      const repeated = await cli(daemon, 'create', '--name', 'cli-c', '--request-id', 'cli-order-1');
      expect(repeated).toEqual(given);
      expect(await cli(daemon, 'create', '--name', 'cli-d', '--request-id', 'cli-order-1')).toMatchObject({
        code: 1,
        err: expect.stringMatching(/^ALREADY_EXISTS: request_id: cli-order-1 was already used/),
      });
    });

    it('prints the server error with its code and exits 1', async () => {
      expect(await cli(daemon, 'create', '--name', 'x', '--payload', '[1]')).toEqual({
        code: 1,
        out: '',
        err: 'INVALID_ARGUMENT: payload: must be a JSON object',
      });
    });

    it('exits 2 with the usage on a bad command line', async () => {
      for (const argv of [[], ['frobnicate'], ['get'], ['create'], ['list', '--page-size', 'ten'], ['get', 'x', '--nope']]) {
        const result = await cli(daemon, ...argv);
        expect(result.code).toBe(2);
        expect(`${result.out}${result.err}`).toContain(USAGE);
      }
      expect((await cli(daemon, '--help')).code).toBe(0);
    });

    it('reports an unreachable daemon as UNAVAILABLE', async () => {
      const out: string[] = [];
      const err: string[] = [];
      // Port 1 on loopback: nothing listens there.
      const code = await runCli(['get', '00000000-0000-4000-8000-000000000000', '--addr', '127.0.0.1:1'], {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        env: {},
      });
      expect(code).toBe(1);
      expect(err.join('\n')).toMatch(/^UNAVAILABLE: /);
    });
  });

  describe('health and metrics', () => {
    it('serves grpc.health.v1 for the daemon, the probe groups and each component', async () => {
      const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
      await daemon.app.get(HealthRegistry).runNow();
      for (const service of ['', 'liveness', 'readiness', 'startup', 'database', 'downstream', 'event-loop', 'heap']) {
        await expect(checkHealth(health, service, 2_000)).resolves.toBe('SERVING');
      }
      await expect(checkHealth(health, 'no-such-component', 2_000)).rejects.toMatchObject({ code: status.NOT_FOUND });
      const listed = await listHealth(health, 2_000);
      expect(Object.keys(listed)).toEqual(expect.arrayContaining(['', 'readiness', 'database', 'downstream', 'breaker:database']));
      expect(JSON.parse((await cli(daemon, 'health', 'readiness')).out)).toEqual({ service: 'readiness', status: 'SERVING' });
    });

    it('places each component in the probe groups an operator would: only the process itself in liveness', () => {
      const placement = Object.fromEntries(
        [...daemon.app.get(HealthRegistry).components()].map((c) => [c.name, { probes: [...c.probes].toSorted(), critical: c.critical }]),
      );
      expect(placement).toEqual({
        database: { probes: ['readiness', 'startup'], critical: true },
        downstream: { probes: ['readiness'], critical: false },
        'breaker:database': { probes: ['readiness'], critical: false },
        'breaker:downstream': { probes: ['readiness'], critical: false },
        'event-loop': { probes: ['liveness', 'readiness'], critical: true },
        heap: { probes: ['liveness'], critical: true },
      });
    });

    it('answers the Terminus endpoints', async () => {
      const http = request(daemon.app.getHttpServer());
      for (const path of ['/health', '/health/live', '/health/ready', '/health/startup']) {
        const response = await http.get(path);
        // 'degraded' (still 200) when a loaded machine slows the event loop past its DEGRADED threshold.
        expect([path, response.status, response.body.status]).toEqual([path, 200, expect.stringMatching(/^(ok|degraded)$/)]);
      }
    });

    it('exports every Prometheus metric the issue lists: breakers, health, gRPC calls, Node.js', async () => {
      await create('counted');
      await daemon.app.get(HealthRegistry).runNow();
      const { text, samples } = await scrape(daemon.app);
      const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => `${name} ${type}`);
      expect(families).toEqual(
        expect.arrayContaining([
          'circuit_breaker_state gauge',
          'circuit_breaker_calls_total counter',
          'circuit_breaker_transitions_total counter',
          'health_component_status gauge',
          'health_check_duration_seconds histogram',
          'health_heal_attempts_total counter',
          'health_checks_total counter',
          'grpc_server_handled_total counter',
          'grpc_server_handling_seconds histogram',
          'process_cpu_user_seconds_total counter',
          'nodejs_heap_size_used_bytes gauge',
        ]),
      );
      expect(valueOf(samples, 'circuit_breaker_state', { name: 'database', state: 'CLOSED' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_state', { name: 'downstream', state: 'CLOSED' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'database', outcome: 'successful' })).toBeGreaterThan(0);
      expect(valueOf(samples, 'grpc_server_handled_total', { grpc_service: 'engined.v1.RecordService', grpc_method: 'CreateRecord', grpc_code: 'OK' })).toBeGreaterThan(0);
      expect(valueOf(samples, 'health_component_status', { component: 'database', type: 'database', status: 'HEALTHY' })).toBe(1);
      expect(valueOf(samples, 'health_checks_total', { component: 'database', status: 'HEALTHY' })).toBeGreaterThan(0);
      expect(valueOf(samples, 'health_check_duration_seconds_count', { component: 'database' })).toBeGreaterThan(0);
    });
  });

  describe('database outage', () => {
    it('fails readiness at the third failed query, opens the breaker, and heals within one check interval of the return', async () => {
      const kept = await create('before the outage', '{"kept":true}');
      const registry = daemon.app.get(HealthRegistry);
      const database = daemon.app.get(EmbeddedPostgres);
      const breaker = daemon.app.get(BreakerRegistry).get('database')!;
      const health = cleanup.add(createHealthClient(daemon.grpcTarget), (c) => c.close());
      const readiness = cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel());
      cleanup.add(database, async (db) => {
        if (!db.running) await db.start();
      });
      await registry.runNow();
      await readiness.next('SERVING');
      expect(breaker.state).toBe(CircuitState.CLOSED);

      await database.stop();
      const first = await client.call('GetRecord', { id: kept.id });
      expect(first.ok ? 'ok' : [first.error.code, first.error.details]).toEqual([status.UNAVAILABLE, 'database unavailable']);

      // The component guards the breaker: failed queries count like failed checks, so the third in a row
      // (the failure threshold) fails the database and readiness at once, without a check.
      const checksBefore = registry.history('database').checks.length;
      await client.call('GetRecord', { id: kept.id });
      expect(registry.get('database')!.status).toBe(HealthStatus.HEALTHY);
      await client.call('GetRecord', { id: kept.id });
      expect(registry.get('database')).toMatchObject({ status: HealthStatus.UNHEALTHY, consecutiveFailures: 3 });
      expect(registry.history('database').checks).toHaveLength(checksBefore);
      await readiness.next('NOT_SERVING');
      await expect(checkHealth(health, 'database', 2_000)).resolves.toBe('NOT_SERVING');
      expect((await request(daemon.app.getHttpServer()).get('/health/ready')).status).toBe(503);
      expect((await request(daemon.app.getHttpServer()).get('/health/live')).status).toBe(200);
      await expect(checkHealth(health, 'liveness', 2_000)).resolves.toBe('SERVING');

      // Every call now fails: within one window (20 calls) the breaker opens and rejects with a retry hint.
      for (let i = 0; i < 20 && breaker.state === CircuitState.CLOSED; i++) await client.call('GetRecord', { id: kept.id });
      expect(breaker.state).toBe(CircuitState.OPEN);
      expect(registry.get('database')!.blockedBy).toBe('database');
      const rejected = await client.call('GetRecord', { id: kept.id });
      const error = (rejected as { error: ServiceError }).error;
      expect(error.code).toBe(status.UNAVAILABLE);
      const retryAfterMs = Number(error.metadata.get(RETRY_AFTER_MS_METADATA)[0]);
      expect(retryAfterMs).toBeGreaterThan(0);
      // The same wait as gRFC A6's pushback, which grpc-js' own retries obey.
      expect(error.metadata.get(GRPC_RETRY_PUSHBACK_METADATA)).toEqual([String(retryAfterMs)]);
      // Every call that needs the database goes through the breaker: each is refused with the same hint.
      for (const [method, body] of [
        ['CreateRecord', { name: 'refused' }],
        ['ListRecords', {}],
        ['DeleteRecord', { id: kept.id }],
        ['EnrichRecord', { id: kept.id }],
      ] as const) {
        const outcome = await client.call(method, body);
        const refused = (outcome as { error: ServiceError }).error;
        expect([method, refused?.code, Number(refused?.metadata.get(RETRY_AFTER_MS_METADATA)[0])]).toEqual([method, status.UNAVAILABLE, retryAfterMs]);
      }

      // The failed component was healed at once (pool rebuilt). Its re-check fails while the database is
      // down, so the attempt waits in its verification window instead of counting as a failure.
      const healed = firstValueFrom(
        registry.events$.pipe(filter((e) => e.type === 'heal_attempt' && e.component === 'database' && e.result !== 'skipped')),
      );
      expect(registry.get('database')!.heal).toMatchObject({ state: HealState.HEALING, attempts: 1 });

      // The outage as Prometheus sees it.
      let { samples } = await scrape(daemon.app);
      expect(valueOf(samples, 'circuit_breaker_state', { name: 'database', state: 'OPEN' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_transitions_total', { name: 'database', from: 'CLOSED', to: 'OPEN' })).toBe(1);
      expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'database', outcome: 'failed' })).toBeGreaterThanOrEqual(3);
      expect(valueOf(samples, 'circuit_breaker_calls_total', { name: 'database', outcome: 'not_permitted' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'health_component_status', { component: 'database', type: 'database', status: 'UNHEALTHY' })).toBe(1);
      expect(valueOf(samples, 'grpc_server_handled_total', { grpc_method: 'GetRecord', grpc_code: 'UNAVAILABLE' })).toBeGreaterThanOrEqual(6);

      // The database comes back. The next scheduled check (within one interval) sees it: it verifies the
      // heal and the component is HEALTHY. (The 2 s open period has ended by then; test/faults shows a check
      // half-opening a breaker before its open period ends.)
      await database.start();
      clock.advance(daemon.config.health.checkIntervalMs);
      await expect(healed).resolves.toMatchObject({ result: 'success', verified: true, attempt: 1 });
      expect(registry.get('database')).toMatchObject({ status: HealthStatus.HEALTHY, heal: { state: HealState.IDLE } });
      expect(breaker.state).toBe(CircuitState.HALF_OPEN);
      await readiness.next('SERVING');
      expect((await request(daemon.app.getHttpServer()).get('/health/ready')).status).toBe(200);
      ({ samples } = await scrape(daemon.app));
      expect(valueOf(samples, 'health_heal_attempts_total', { component: 'database', result: 'success' })).toBe(1);
      expect(valueOf(samples, 'health_component_status', { component: 'database', type: 'database', status: 'HEALTHY' })).toBe(1);

      // The next call is the probe: it succeeds and the breaker closes.
      await expect(client.ok('GetRecord', { id: kept.id })).resolves.toEqual(kept);
      expect(breaker.state).toBe(CircuitState.CLOSED);
      await expect(create('after the outage')).resolves.toMatchObject({ name: 'after the outage' });
    });
  });
});

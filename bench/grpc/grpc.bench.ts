import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { BenchChild } from '../child-process.js';
import { LatencySamples, type LatencySummary, median } from '../latency.js';
import { formatNumber } from '../markdown-table.js';
import { DaemonProcess } from '../startup/daemon-process.js';
import { checkHealth, healthServiceClient, type RecordMessage, type RecordServiceClient, recordServiceClient } from './protos.js';
import { recordId, SEEDED_RECORDS } from './record-apps.js';
import { AS_THE_DAEMON, BARE, type RecordAppFeatures } from './record-server.constants.js';
import { connected, getRecordLoad, IN_FLIGHT, type LoadRound } from './unary-load.js';

const WARMUP_MS = 1_000;
/** One app's load between two switches; short, so that neighbouring segments meet the same load on this shared machine. */
const SEGMENT_MS = 1_000;
const ROUNDS = 6;
/** Fresh processes per trial: one process of an app can run a few % faster or slower than another of the same app (see the control row). */
const TRIALS = 3;
const DAEMON_RECORDS = 100;
const DAEMON_ROUNDS = 3;
const DAEMON_ROUND_MS = 1_500;
const THROUGHPUT_GOAL = 0.95;

interface AppCase {
  readonly name: string;
  readonly features: RecordAppFeatures;
}

const BARE_NAME = 'bare: the handler alone';
const GOAL_NAME = 'breaker + health + metrics, wired as the sample daemon';
/** An A/A control: the bare app in a second process, measured exactly like the others; its distance from 1× is this run's noise. */
const CONTROL_NAME = 'control: the bare app again, in a second process';
const appCases: readonly AppCase[] = [
  { name: BARE_NAME, features: BARE },
  { name: GOAL_NAME, features: AS_THE_DAEMON },
  { name: CONTROL_NAME, features: BARE },
  { name: 'breaker + health, no metrics', features: { ...AS_THE_DAEMON, metrics: 'off' } },
  { name: 'metrics only, grpc-js interceptor (withGrpcMetrics)', features: { ...BARE, metrics: 'grpc-js' } },
  { name: 'breaker + health + metrics by the global Nest interceptor (grpcInterceptor: true)', features: { ...AS_THE_DAEMON, metrics: 'nest' } },
];

/** One segment of load against one app: the client's calls, and the server's CPU time meanwhile. */
interface Segment extends LoadRound {
  readonly serverCpuUs: number;
}

interface Measured {
  readonly name: string;
  /** This app's segments; for the bare app, every segment it ran. */
  readonly segments: readonly Segment[];
  /** For the other apps: the bare app's segment run right next to each of this app's segments. */
  readonly bareNeighbours: readonly Segment[];
  /** Every call's latency. */
  readonly latencies: LatencySamples;
}

/** Issue #4's goal: a unary call through breaker + health + metrics against the same handler alone. */
const grpcGroup: BenchGroup = {
  name: 'grpc',
  description: `unary gRPC GetRecord, ${IN_FLIGHT} in flight: the handler alone against the same handler with breaker + health + metrics`,
  async run(context: BenchContext): Promise<BenchSection[]> {
    const selected = (name: string): boolean => context.filter === undefined || context.filter.test(name);
    const cases = appCases.filter((c) => c.name === BARE_NAME || selected(c.name));
    const sections: BenchSection[] = [];
    if (cases.length > 1) {
      const trials: Measured[][] = [];
      for (let trial = 1; trial <= TRIALS; trial++) {
        context.log(`  trial ${trial}/${TRIALS}: fresh processes`);
        trials.push(await measureApps(cases, context));
      }
      const measured = poolTrials(trials);
      sections.push(appsSection(measured), goalsSection(measured));
    }
    if (selected('sample daemon')) sections.push(daemonSection(await measureDaemon(context)));
    return sections;
  },
};

export default grpcGroup;

interface RunningApp {
  readonly appCase: AppCase;
  readonly child: BenchChild;
  readonly client: RecordServiceClient;
  readonly httpPort: number;
  readonly grpcTarget: string;
  /** Every call sent to it, warm-up included (checked against its metrics). */
  calls: number;
}

/** Pools the trials: every segment and bare neighbour of an app, in order, and its latencies. */
function poolTrials(trials: readonly Measured[][]): Measured[] {
  return trials[0]!.map((first, i) => ({
    name: first.name,
    segments: trials.flatMap((trial) => trial[i]!.segments),
    bareNeighbours: trials.flatMap((trial) => trial[i]!.bareNeighbours),
    latencies: trials.reduce((all, trial) => {
      all.addAll(trial[i]!.latencies);
      return all;
    }, new LatencySamples()),
  }));
}

/**
 * Starts every app in its own process and warms each up; then, round after round, runs each other app
 * right next to the bare app (bare first in even rounds, second in odd ones), one short segment each,
 * so that every comparison is between two neighbouring moments of this shared machine.
 */
async function measureApps(cases: readonly AppCase[], context: BenchContext): Promise<Measured[]> {
  const apps: RunningApp[] = [];
  try {
    for (const appCase of cases) {
      const child = BenchChild.start(new URL('./record-server.child.js', import.meta.url), [JSON.stringify(appCase.features)], `grpc ${appCase.name}`);
      const { grpcPort, httpPort } = await child.next<{ type: 'ready'; grpcPort: number; httpPort: number }>('ready');
      const grpcTarget = `127.0.0.1:${grpcPort}`;
      apps.push({ appCase, child, client: recordServiceClient(grpcTarget), httpPort, grpcTarget, calls: 0 });
    }
    const ids = Array.from({ length: SEEDED_RECORDS }, (_, i) => recordId(i));
    for (const app of apps) {
      await connected(app.client);
      context.log(`  warm-up: ${app.appCase.name}`);
      app.calls += (await getRecordLoad(app.client, ids, WARMUP_MS, new LatencySamples())).calls;
    }
    const [bare, ...others] = apps as [RunningApp, ...RunningApp[]];
    const samples = new Map<RunningApp, LatencySamples>(apps.map((app) => [app, new LatencySamples()]));
    const segments = new Map<RunningApp, Segment[]>(apps.map((app) => [app, []]));
    const neighbours = new Map<RunningApp, Segment[]>(others.map((app) => [app, []]));
    const segment = async (app: RunningApp): Promise<Segment> => {
      const cpuBefore = await serverCpuUs(app.child);
      const load = await getRecordLoad(app.client, ids, SEGMENT_MS, samples.get(app)!);
      const measured = { ...load, serverCpuUs: (await serverCpuUs(app.child)) - cpuBefore };
      app.calls += load.calls;
      segments.get(app)!.push(measured);
      return measured;
    };
    for (let round = 0; round < ROUNDS; round++) {
      context.log(`  round ${round + 1}/${ROUNDS}`);
      for (const app of round % 2 === 0 ? others : others.toReversed()) {
        if (round % 2 === 0) {
          neighbours.get(app)!.push(await segment(bare));
          await segment(app);
        } else {
          await segment(app);
          neighbours.get(app)!.push(await segment(bare));
        }
      }
    }
    for (const app of apps) await verify(app);
    return apps.map((app) => ({
      name: app.appCase.name,
      segments: segments.get(app)!,
      bareNeighbours: neighbours.get(app) ?? [],
      latencies: samples.get(app)!,
    }));
  } finally {
    for (const app of apps) app.client.close();
    for (const app of apps) await app.child.stop().finally(() => app.child.kill());
  }
}

async function serverCpuUs(child: BenchChild): Promise<number> {
  child.send({ type: 'cpu' });
  return (await child.next<{ type: 'cpu'; us: number }>('cpu')).us;
}

function cpuPerCall(segment: Segment): number {
  return segment.serverCpuUs / segment.calls;
}

function callsPerSecond(segment: LoadRound): number {
  return (segment.calls / segment.elapsedMs) * 1_000;
}

/** Median over the segments of `value(this app's segment) / value(the bare segment next to it)`. */
function medianRatio(measured: Measured, value: (segment: Segment) => number): number {
  return median(measured.segments.map((segment, i) => value(segment) / value(measured.bareNeighbours[i]!)));
}

/** Each part an app claims did its work: every call counted by its metrics and its breaker; grpc.health.v1 served. */
async function verify(app: RunningApp): Promise<void> {
  const { features, name } = app.appCase;
  if (features.metrics !== 'off') {
    const text = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`)).text();
    const handled = sample(text, 'grpc_server_handled_total', ['grpc_method="GetRecord"', 'grpc_code="OK"']);
    if (handled !== app.calls) throw new Error(`${name}: ${app.calls} calls sent, but grpc_server_handled_total says ${handled}`);
    const successful = sample(text, 'circuit_breaker_calls_total', ['name="store"', 'outcome="successful"']);
    if (features.breaker && successful !== app.calls) throw new Error(`${name}: ${app.calls} calls sent, but the breaker counted ${successful} successes`);
  }
  if (features.health) {
    const health = healthServiceClient(app.grpcTarget);
    try {
      for (const service of ['readiness', 'store', ...(features.breaker ? ['breaker:store'] : [])]) {
        const status = await checkHealth(health, service);
        if (status !== 'SERVING') throw new Error(`${name}: grpc.health.v1 Check("${service}") = ${status}`);
      }
    } finally {
      health.close();
    }
  }
}

/** The value of the first sample of `metric` whose labels contain every one of `labels`. */
function sample(exposition: string, metric: string, labels: readonly string[]): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${metric}{`) && labels.every((label) => line.includes(label))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function spread(values: readonly number[]): string {
  return `${formatNumber(Math.min(...values))}–${formatNumber(Math.max(...values))}`;
}

function appsSection(measured: readonly Measured[]): BenchSection {
  const bare = measured[0]!;
  return {
    title: `Unary GetRecord, ${IN_FLIGHT} in flight, the same client against each app`,
    columns: ['App', 'calls/s', 'segments: min–max', '× bare', 'server CPU µs/call', '× bare', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: measured.map((m) => ({ m, latency: m.latencies.summary() })).map(({ m, latency }) => [
      m.name,
      formatNumber(median(m.segments.map(callsPerSecond))),
      spread(m.segments.map(callsPerSecond)),
      m === bare ? '' : `${formatNumber(medianRatio(m, callsPerSecond), 3)}×`,
      formatNumber(median(m.segments.map(cpuPerCall))),
      m === bare ? '' : `${formatNumber(medianRatio(m, cpuPerCall), 2)}×`,
      formatNumber(latency.p50, 2),
      formatNumber(latency.p90, 2),
      formatNumber(latency.p99, 2),
      formatNumber(latency.max, 2),
    ]),
    notes: [
      'Each app is a Nest 12 hybrid app (Express + the library\'s `GrpcServer`, the strategy the sample daemon uses, on grpc-js) in its own process, serving `engined.v1.RecordService.GetRecord` from the same controller class. The handler body is the same in-memory get over 1,000 seeded records.',
      'bare: nothing else. "wired as the sample daemon", as `createApp` in apps/engined/src/app.factory.ts: `ResilienceModule` with `@CircuitBreaker` on the store\'s get (the daemon\'s database profile: count window of 20, 5 calls minimum, a per-call timeout) and `BreakerExceptionFilter`; `HealthModule` with 3 components checked every 1 s, plus the breaker\'s; `GrpcHealthModule` with `withGrpcHealth`; `MetricsModule` with its default options (Node metrics on, no global Nest interceptor) and `withGrpcMetrics`; the microservice connected with `inheritAppConfig: true`.',
      'The other rows take parts away or swap one: the same without `MetricsModule`; only `MetricsModule` with `withGrpcMetrics` on the bare app (the breaker alone is measured by the breaker group); the daemon wiring with gRPC calls counted by the global Nest interceptor (`MetricsModule.forRoot({ grpcInterceptor: true })`, no `withGrpcMetrics`).',
      `One @grpc/grpc-js client (one channel per app) in the bench process, over loopback, keeps ${IN_FLIGHT} calls in flight. ${TRIALS} trials, each with fresh processes of every app: ${WARMUP_MS / 1_000} s of warm-up per app, then ${ROUNDS} rounds in which each other app runs right next to the bare app (bare first in even rounds, second in odd ones), ${SEGMENT_MS} ms each. calls/s: the median segment; "× bare": the median over every segment of every trial of the ratio to the bare segment next to it; latencies pool every segment.`,
      'The control row is the bare app again in a second process, measured like the others: its distance from 1× is what this machine and the process lottery alone produce in this run, so a difference of that size between the other rows and bare means nothing.',
      'Server CPU µs/call: the server process\'s `process.cpuUsage()` over a segment, divided by the segment\'s calls (median segment; "× bare" as above). The client costs about as much CPU per call as a server and shares the 2 cores, so throughput also measures the client; CPU per call shows what each app itself spends.',
      'Checked after the run: where there are metrics, `grpc_server_handled_total{grpc_method="GetRecord",grpc_code="OK"}` and (with a breaker) the breaker\'s successful calls equal the calls the client sent; where there is health, grpc.health.v1 Check answers SERVING for readiness, store (and breaker:store).',
    ],
  };
}

function goalsSection(measured: readonly Measured[]): BenchSection {
  const guarded = measured.find((m) => m.name === GOAL_NAME);
  const rows = measured.slice(1).map((m) => {
    const ratio = medianRatio(m, callsPerSecond);
    return [`${m.name}: throughput against bare`, `≥ ${THROUGHPUT_GOAL}×`, `${formatNumber(ratio, 3)}×`, m === guarded ? (ratio >= THROUGHPUT_GOAL ? 'yes' : 'NO') : m.name === CONTROL_NAME ? '(noise of this run)' : '(a part, or another wiring)'];
  });
  return { title: 'Goal (issue #4) on this run', columns: ['Goal', 'Target', 'Measured', 'Met'], rows };
}

interface DaemonMeasured {
  readonly rounds: readonly LoadRound[];
  readonly latency: LatencySummary;
}

/** The full sample daemon (`dist/apps/engined/src/main.js`): GetRecord through validation, breaker, pg and the embedded PGlite. */
async function measureDaemon(context: BenchContext): Promise<DaemonMeasured> {
  context.log('  sample daemon: starting dist/apps/engined/src/main.js');
  const daemon = await DaemonProcess.spawn();
  const client = recordServiceClient(daemon.grpcTarget);
  try {
    await daemon.waitUntilServing();
    const ids: string[] = [];
    for (let i = 0; i < DAEMON_RECORDS; i++) ids.push((await createRecord(client, i)).id);
    await getRecordLoad(client, ids, WARMUP_MS, new LatencySamples());
    const samples = new LatencySamples();
    const rounds: LoadRound[] = [];
    for (let round = 0; round < DAEMON_ROUNDS; round++) {
      context.log(`  sample daemon: round ${round + 1}/${DAEMON_ROUNDS}`);
      rounds.push(await getRecordLoad(client, ids, DAEMON_ROUND_MS, samples));
    }
    const stop = await daemon.stop();
    if (stop.code !== 0) throw new Error(`the daemon exited with code ${stop.code}\n${daemon.log()}`);
    return { rounds, latency: samples.summary() };
  } finally {
    client.close();
    daemon.kill();
  }
}

function createRecord(client: RecordServiceClient, i: number): Promise<RecordMessage> {
  return new Promise((resolve, reject) =>
    client.CreateRecord({ name: `bench ${i}`, payload: JSON.stringify({ n: i }) }, { deadline: Date.now() + 10_000 }, (error, record) =>
      error ? reject(new Error(`CreateRecord: ${error.code} ${error.details}`)) : resolve(record!),
    ),
  );
}

function daemonSection(measured: DaemonMeasured): BenchSection {
  const throughputs = measured.rounds.map(callsPerSecond);
  return {
    title: 'The sample daemon\'s GetRecord, end to end (reported separately: no goal)',
    columns: ['Path', 'calls/s', 'rounds (calls/s)', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: [
      [
        'GetRecord: validation, breaker, pg → embedded PGlite (loopback), health, metrics',
        formatNumber(median(throughputs)),
        throughputs.map((value) => formatNumber(value)).join(' / '),
        formatNumber(measured.latency.p50, 2),
        formatNumber(measured.latency.p90, 2),
        formatNumber(measured.latency.p99, 2),
        formatNumber(measured.latency.max, 2),
      ],
    ],
    notes: [
      `\`node dist/apps/engined/src/main.js\` (built by \`npm run build\`) on free ports with its defaults (embedded PGlite, in-process downstream); ${DAEMON_RECORDS} records created first, then the same client load as above (${IN_FLIGHT} in flight, ${WARMUP_MS / 1_000} s warm-up, ${DAEMON_ROUNDS} rounds of ${DAEMON_ROUND_MS / 1_000} s) over their ids. Every call is a SELECT through \`pg\` and the PGlite socket server, which runs one query at a time in the daemon's own process.`,
    ],
  };
}

import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { median } from '../latency.js';
import { formatNumber } from '../markdown-table.js';
import { DaemonProcess, type ServingTimes, type StopResult, templateCacheWarm } from './daemon-process.js';

const RUNS = 5;

/** Start-up milestones the daemon logs, by the text of their first line (ms from spawn to its arrival). */
const MILESTONES = [
  { name: 'Nest starts', pattern: /Starting Nest application/ },
  { name: 'embedded DB listening', pattern: /embedded PostgreSQL .*listening/ },
  { name: 'app started', pattern: /Nest application successfully started/ },
] as const;

interface StartupRun {
  readonly cacheWarm: boolean;
  readonly milestones: readonly (number | undefined)[];
  readonly times: ServingTimes;
  readonly stop: StopResult;
}

/** Issue #4's goal: cold start of the built daemon to readiness SERVING on the embedded database. */
const startupGroup: BenchGroup = {
  name: 'startup',
  description: 'sample daemon: cold start to readiness SERVING on the embedded database, then SIGTERM',
  async run(context: BenchContext): Promise<BenchSection[]> {
    const runs: StartupRun[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const cacheWarm = templateCacheWarm();
      const daemon = await DaemonProcess.spawn();
      try {
        const times = await daemon.waitUntilServing();
        const milestones = MILESTONES.map(({ pattern }) => daemon.lineAfterSpawnMs(pattern));
        const stop = await daemon.stop();
        context.log(`  run ${run}/${RUNS}: SERVING after ${Math.round(times.servingMs)} ms, exit ${stop.code} after ${Math.round(stop.stopMs)} ms`);
        if (stop.code !== 0 || stop.orphans) {
          throw new Error(`run ${run}: the daemon exited with code ${stop.code} (signal ${stop.signal})${stop.orphans ? ' and left processes behind' : ''}\n${daemon.log()}`);
        }
        runs.push({ cacheWarm, milestones, times, stop });
      } finally {
        daemon.kill();
      }
    }
    const rows = runs.map((run, i) => [
      `run ${i + 1}`,
      run.cacheWarm ? 'warm' : 'cold (written by this run)',
      ...run.milestones.map(ms),
      ms(run.times.answeringMs),
      ms(run.times.servingMs),
      ms(run.stop.stopMs),
      `${run.stop.code}${run.stop.orphans ? ', orphans' : ''}`,
    ]);
    rows.push([
      `median of ${runs.length}`,
      '',
      ...MILESTONES.map((_, m) => {
        const logged = runs.map((run) => run.milestones[m]).filter((value) => value !== undefined);
        return logged.length === runs.length ? ms(median(logged)) : '';
      }),
      ms(median(runs.map((run) => run.times.answeringMs))),
      ms(median(runs.map((run) => run.times.servingMs))),
      ms(median(runs.map((run) => run.stop.stopMs))),
      '',
    ]);
    return [
      {
        title: 'Cold start of `node dist/apps/engined/src/main.js` to readiness SERVING',
        columns: [
          'Run',
          'embedded DB template cache',
          ...MILESTONES.map(({ name }) => `${name}, ms`),
          'gRPC answers, ms',
          'readiness SERVING, ms',
          'SIGTERM → exit, ms',
          'exit code',
        ],
        rows,
        notes: [
          'Each run spawns a new Node process (no module cache, no JIT warm-up): free loopback ports for gRPC and HTTP, embedded PGlite served on a free port, in-process downstream, drain delay 0 (SHUTDOWN_DRAIN_MS), LOG_FORMAT=json, no other variable set.',
          'Times from just before `spawn()`. The three milestones are the arrival of the first log line saying so: "Nest starts" (every module imported, NestFactory.create begins), "embedded DB listening" (PGlite loaded and served), "app started" (HTTP listening, after the gRPC server). "gRPC answers": the first grpc.health.v1 Check("readiness") that got any answer, polled every 5 ms (reconnect backoff 5–20 ms). "readiness SERVING": a Watch("readiness") opened then, or that Check, reporting SERVING.',
          'Then SIGTERM: the exit code must be 0, and no process may be left in the daemon\'s process group (it is spawned detached, as a group leader).',
          'The template cache is `node_modules/.cache/engined/pglite-<version>.tar.gz`, a dump of a fresh cluster written by the first start: "warm" loads it instead of running initdb.',
        ],
      },
    ];
  },
};

export default startupGroup;

function ms(value: number | undefined): string {
  return value === undefined ? 'not logged' : formatNumber(value);
}

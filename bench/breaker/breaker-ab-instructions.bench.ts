import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { formatNumber } from '../markdown-table.js';
import { buildBaselineLibrary, describeTree, repoRoot, SPLIT_BASELINE } from './baseline-library.js';
import { policyCases } from './engined.cases.js';

const run = promisify(execFile);

/** Calls of every case before the measured ones (so each is optimised). */
const WARM_UP_CALLS = 10_000;
/**
 * Calls of the measured case in the short and the long run: what V8 compiles during the first short-run
 * calls is in both counts and cancels out (single-threaded, it compiles on the measured thread).
 */
const SHORT_RUN_CALLS = 50_000;
const LONG_RUN_CALLS = 250_000;
const TOLERANCE = 0.05;
/** One valgrind process per core. */
const PARALLEL = 2;

/**
 * The same A/B as `breaker-ab`, counted in instructions instead of time: a load-independent figure for a
 * machine too busy for time to resolve 5 %. Each run is a fresh Node under valgrind (cachegrind, no cache
 * simulation) with a single-threaded V8 and fixed seeds, that warms every case and then calls one case
 * `LONG_RUN_CALLS` or `SHORT_RUN_CALLS` times; the difference of the two counts over the difference in
 * calls is instructions per call.
 */
const breakerAbInstructionsGroup: BenchGroup = {
  name: 'breaker-ab-instructions',
  description: "circuit breaker per call in instructions (valgrind): this tree's CircuitBreakerPolicy against a baseline commit's",
  async run(context: BenchContext): Promise<BenchSection[]> {
    try {
      execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('breaker-ab-instructions needs valgrind (Debian: apt-get install valgrind)');
    }
    const root = repoRoot();
    const baseline = buildBaselineLibrary(root, context.baseline ?? SPLIT_BASELINE, context.log);
    const current = fileURLToPath(import.meta.resolve('@engined/resilience'));
    const names = Object.values(policyCases())
      .flat()
      .map((c) => c.name.replace(/^engined /, ''))
      .filter((name) => context.filter === undefined || context.filter.test(name));
    const runner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ab-runner.js');
    const jobs = names.flatMap((name) =>
      [baseline.entry, current].flatMap((entry) => [SHORT_RUN_CALLS, LONG_RUN_CALLS].map((calls) => ({ entry, name, calls }))),
    );
    const counts = new Map<string, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
        context.log(`  valgrind ${job.entry === current ? 'B' : 'A'} ${job.name} × ${formatNumber(job.calls)}`);
        counts.set(`${job.entry}\n${job.name}\n${job.calls}`, await countInstructions(runner, job.entry, job.name, job.calls));
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const perCall = (entry: string, name: string): number =>
      (counts.get(`${entry}\n${name}\n${LONG_RUN_CALLS}`)! - counts.get(`${entry}\n${name}\n${SHORT_RUN_CALLS}`)!) /
      (LONG_RUN_CALLS - SHORT_RUN_CALLS);
    const rows = names.map((name) => {
      const a = perCall(baseline.entry, name);
      const b = perCall(current, name);
      return [name, formatNumber(a), formatNumber(b), (b / a).toFixed(3), b / a <= 1 + TOLERANCE ? 'yes' : 'no'];
    });
    return [
      {
        title: `A/B in instructions per call: A = ${baseline.commit.slice(0, 12)} (baseline), B = ${describeTree(root)} (this tree)`,
        columns: ['Case', 'A instructions/call', 'B instructions/call', 'B/A', `within ${TOLERANCE * 100} %`],
        rows,
        notes: [
          `valgrind --tool=cachegrind --cache-sim=no, node --single-threaded --hash-seed=1 --random-seed=1; per run ${formatNumber(WARM_UP_CALLS)} warm-up calls of every case, then ${formatNumber(LONG_RUN_CALLS)} calls of one, minus a run with ${formatNumber(SHORT_RUN_CALLS)}, divided by the difference in calls.`,
          'Counts every instruction the process runs for those calls: the breaker, the awaited loop, promise jobs, and the GC work they cause. Instructions are not time (a cache miss costs many), but they do not change with the load of the machine.',
        ],
      },
    ];
  },
};

export default breakerAbInstructionsGroup;

async function countInstructions(runner: string, entry: string, name: string, calls: number): Promise<number> {
  const args = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null'];
  args.push(process.execPath, '--single-threaded', '--hash-seed=1', '--random-seed=1', runner, entry, String(WARM_UP_CALLS));
  args.push(name, String(calls));
  const { stderr } = await run('valgrind', args, { maxBuffer: 64 * 1024 * 1024 });
  const match = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (match === null) throw new Error(`no instruction count in valgrind's output for ${name} × ${calls}:\n${stderr}`);
  return Number(match[1]!.replaceAll(',', ''));
}

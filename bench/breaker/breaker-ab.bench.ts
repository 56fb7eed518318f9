import { pathToFileURL } from 'node:url';
import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import type { CallCase, CallSubject, Tally } from '../call-cost.js';
import { formatNumber } from '../markdown-table.js';
import { buildBaselineLibrary, describeTree, repoRoot, SPLIT_BASELINE } from './baseline-library.js';
import { policyCases, type PolicyCases, type PolicyClass } from './engined.cases.js';
/** How far this tree may be from the baseline, per case (issue 13 §5). */
const TOLERANCE = 0.05;

/**
 * A/B of `CircuitBreakerPolicy` per call: another commit's library (built from `git archive` into
 * `dist/ab/<commit>`) against this tree's, every case of both in one run.
 *
 * On a shared machine wall time per call swings several-fold with the load, far more than the 5 % this
 * group has to resolve; so each slice of calls is measured in this process's CPU time (`process.cpuUsage`,
 * which stops while the process waits for a core), A and B of a case alternate slice by slice (ABBA), and
 * each case reports the median slice.
 */
const breakerAbGroup: BenchGroup = {
  name: 'breaker-ab',
  description: "circuit breaker per call: this tree's CircuitBreakerPolicy against a baseline commit's, in one run",
  async run(context: BenchContext): Promise<BenchSection[]> {
    const root = repoRoot();
    const baseline = buildBaselineLibrary(root, context.baseline ?? SPLIT_BASELINE, context.log);
    const { CircuitBreakerPolicy: Baseline } = (await import(pathToFileURL(baseline.entry).href)) as { CircuitBreakerPolicy: PolicyClass };
    const { CircuitBreakerPolicy: Current } = await import('@engined/resilience');
    const a = policyCases(Baseline, 'A');
    const b = policyCases(Current, 'B');
    const pairs = (Object.keys(a) as (keyof PolicyCases)[])
      .flatMap((kind) => a[kind].map((caseA, i) => [caseA, b[kind][i]!] as const))
      .filter(([caseA]) => context.filter === undefined || context.filter.test(caseA.name.slice(2)));
    const measured = await measureAb(pairs, context);
    return [abSection(measured, baseline.commit, describeTree(root), context)];
  },
};

export default breakerAbGroup;

/** CPU ns per call of every slice of one case, A's and B's in the same order. */
interface AbCost {
  readonly name: string;
  readonly a: readonly number[];
  readonly b: readonly number[];
}

interface Side {
  readonly callCase: CallCase;
  readonly subject: CallSubject;
  readonly tally: Tally;
  calls: number;
}

/** Sets every case up and primes it, sizes its slice to `context.timeMs` of CPU, then runs `context.rounds` ABBA rounds. */
async function measureAb(pairs: readonly (readonly [CallCase, CallCase])[], context: BenchContext): Promise<AbCost[]> {
  const sides: [Side, Side][] = [];
  try {
    for (const pair of pairs) {
      const [a, b] = await Promise.all(pair.map(async (callCase) => ({ callCase, subject: await callCase.setup(), tally: newTally(), calls: 0 })));
      sides.push([a!, b!]);
    }
    // Every case reaches the shared loop before any is measured, so its call site is alike for all.
    for (const side of sides.flat()) await runSlice(side, PRIMING_CALLS);
    for (const side of sides.flat()) {
      const ns = await runSlice(side, PRIMING_CALLS);
      side.calls = Math.max(PRIMING_CALLS, Math.round((context.timeMs * 1e6) / ns));
    }
    const results = sides.map(() => ({ a: [] as number[], b: [] as number[] }));
    for (let round = 0; round < context.rounds; round++) {
      context.log(`  round ${round + 1}/${context.rounds}`);
      for (const [i, [a, b]] of sides.entries()) {
        const order = round % 2 === 0 ? [a, b] : [b, a];
        for (const side of order) (side === a ? results[i]!.a : results[i]!.b).push(await runSlice(side, side.calls));
      }
    }
    for (const side of sides.flat()) check(side);
    return sides.map(([a], i) => ({ name: a.callCase.name.slice(2), ...results[i]! }));
  } finally {
    for (const side of sides.flat()) await side.subject.dispose?.();
  }
}

const PRIMING_CALLS = 2_000;

/** CPU ns per call over `calls` sequential awaited calls (the same loop for every case). */
async function runSlice(side: Side, calls: number): Promise<number> {
  const { subject, tally } = side;
  subject.beforeBatch?.();
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    try {
      tally.last = await subject.call();
      tally.resolved++;
    } catch (error) {
      tally.last = error;
      tally.rejected++;
    }
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1_000) / calls;
}

function check(side: Side): void {
  const { callCase, subject, tally } = side;
  const wrong = callCase.expect === 'resolves' ? tally.rejected : tally.resolved;
  if (wrong > 0) throw new Error(`${callCase.name}: expected every call to ${callCase.expect === 'resolves' ? 'resolve' : 'reject'}, but ${wrong} did not`);
  const problem = subject.verify?.(tally);
  if (problem !== undefined) throw new Error(`${callCase.name}: ${problem}`);
}

function newTally(): Tally {
  return { resolved: 0, rejected: 0, last: undefined };
}

function abSection(costs: readonly AbCost[], commit: string, tree: string, context: BenchContext): BenchSection {
  const rows = costs.map(({ name, a, b }) => {
    const best = Math.min(...b) / Math.min(...a);
    return [
      name,
      formatNumber(median(a)),
      formatNumber(median(b)),
      (median(b) / median(a)).toFixed(3),
      formatNumber(Math.min(...a)),
      formatNumber(Math.min(...b)),
      best.toFixed(3),
      best <= 1 + TOLERANCE ? 'yes' : 'no',
    ];
  });
  return {
    title: `A/B: A = ${commit.slice(0, 12)} (baseline), B = ${tree} (this tree)`,
    columns: ['Case', 'A median', 'B median', 'B/A median', 'A best', 'B best', 'B/A best', `within ${TOLERANCE * 100} %`],
    rows,
    notes: [
      `CPU ns per call over ${context.rounds} slices of ~${formatNumber(context.timeMs)} ms of CPU each per case and side; A and B of a case alternate slice by slice (ABBA). The loop's own cost (an awaited call) is in both.`,
      `"best": the fastest slice. Load on a shared machine only adds time to a slice (other processes evict caches, steal the core's sibling), so the fastest slice is the estimate least disturbed by it (Chen & Revels, "Robust benchmarking in noisy environments", 2016); "within ${TOLERANCE * 100} %" compares it. The medians show the spread.`,
      "A is built from `git archive <commit> libs/resilience tsconfig.json` into dist/ab/<commit> with that commit's own tsconfig.lib.json; both load the same node_modules.",
    ],
  };
}

function median(values: readonly number[]): number {
  return values.toSorted((x, y) => x - y)[(values.length - 1) >> 1]!;
}

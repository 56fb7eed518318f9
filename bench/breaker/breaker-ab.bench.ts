import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import type { CallCase, CallCost } from '../call-cost.js';
import { measureCallCosts } from '../call-cost.js';
import { formatNumber } from '../markdown-table.js';
import { policyCases, type PolicyCases, type PolicyClass } from './engined.cases.js';

/** The commit before the breaker core was split by role (issue 13 §5): the default baseline. */
const SPLIT_BASELINE = 'c2579b90928a7478511dfc3d1f39e9ec3d99475e';
/** How far this tree may be from the baseline, per case (issue 13 §5). */
const TOLERANCE = 0.05;

/**
 * A/B of `CircuitBreakerPolicy` per call: another commit's library (built from `git archive` into
 * `dist/ab/<commit>`) against this tree's, every case of both in one run, interleaved round by round.
 */
const breakerAbGroup: BenchGroup = {
  name: 'breaker-ab',
  description: "circuit breaker per call: this tree's CircuitBreakerPolicy against a baseline commit's, in one run",
  async run(context: BenchContext): Promise<BenchSection[]> {
    const root = repoRoot();
    const commit = git(root, 'rev-parse', '--verify', `${context.baseline ?? SPLIT_BASELINE}^{commit}`);
    const head = git(root, 'rev-parse', '--short', 'HEAD');
    const dirty = git(root, 'status', '--porcelain', '--', 'libs/resilience/src') !== '';
    context.log(`  building the baseline library at ${commit.slice(0, 12)}`);
    const Baseline = await loadBaselinePolicy(root, commit, context);
    const { CircuitBreakerPolicy: Current } = await import('@engined/resilience');
    const a = policyCases(Baseline, 'A');
    const b = policyCases(Current, 'B');
    // A and B of each case run back to back in every round, so a burst of load hits both alike.
    const pairs = (Object.keys(a) as (keyof PolicyCases)[]).flatMap((kind) => a[kind].map((caseA, i) => [caseA, b[kind][i]!] as const));
    const costs = new Map((await measureCallCosts(pairs.flat(), context)).map((cost) => [cost.name, cost]));
    return [abSection(pairs, costs, commit, `${head}${dirty ? ' + uncommitted changes' : ''}`)];
  },
};

export default breakerAbGroup;

function abSection(
  pairs: readonly (readonly [CallCase, CallCase])[],
  costs: ReadonlyMap<string, CallCost>,
  commit: string,
  tree: string,
): BenchSection {
  const rows: string[][] = [];
  for (const [caseA, caseB] of pairs) {
    const a = costs.get(caseA.name);
    const b = costs.get(caseB.name);
    if (a === undefined || b === undefined) continue;
    const ratio = b.nsPerOp / a.nsPerOp;
    const paired = median(b.rounds.map((ns, i) => ns / a.rounds[i]!));
    const best = Math.min(...b.rounds) / Math.min(...a.rounds);
    rows.push([
      caseA.name.slice(2),
      formatNumber(a.nsPerOp),
      formatNumber(b.nsPerOp),
      ratio.toFixed(3),
      paired.toFixed(3),
      best.toFixed(3),
      `${formatNumber(Math.min(...a.rounds))}–${formatNumber(Math.max(...a.rounds))}`,
      `${formatNumber(Math.min(...b.rounds))}–${formatNumber(Math.max(...b.rounds))}`,
      paired <= 1 + TOLERANCE ? 'yes' : 'no',
    ]);
  }
  return {
    title: `A/B: A = ${commit.slice(0, 12)} (baseline), B = ${tree} (this tree)`,
    columns: ['Case', 'A ns/op', 'B ns/op', 'B/A', 'B/A, paired rounds', 'B/A, best rounds', 'A rounds', 'B rounds', `within ${TOLERANCE * 100} %`],
    rows,
    notes: [
      'ns/op: the median round. "B/A, paired rounds": the median over rounds of B\'s round divided by A\'s round of the same round (they ran back to back), the figure the verdict uses. "best rounds": fastest B round over fastest A round (load only adds time). A ratio below 1 means B is faster.',
      `"within ${TOLERANCE * 100} %": the paired ratio is at most ${1 + TOLERANCE}.`,
      'A is built from `git archive <commit> libs/resilience tsconfig.json` into dist/ab/<commit> with that commit\'s own tsconfig.lib.json; both load the same node_modules.',
    ],
  };
}

/** Builds (once per commit) and loads the library of `commit`. */
async function loadBaselinePolicy(root: string, commit: string, context: BenchContext): Promise<PolicyClass> {
  const dir = path.join(root, 'dist', 'ab', commit);
  const entry = path.join(dir, 'libs', 'resilience', 'dist', 'index.js');
  if (!existsSync(entry)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['-C', root, 'archive', commit, 'libs/resilience', 'tsconfig.json'], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(dir, 'libs', 'resilience', 'tsconfig.lib.json')], { stdio: 'inherit' });
  } else {
    context.log(`  (reusing ${path.relative(root, entry)})`);
  }
  const library = (await import(pathToFileURL(entry).href)) as { CircuitBreakerPolicy: PolicyClass };
  return library.CircuitBreakerPolicy;
}

function repoRoot(): string {
  return git(process.cwd(), 'rev-parse', '--show-toplevel');
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();
}

function median(values: readonly number[]): number {
  return values.toSorted((x, y) => x - y)[(values.length - 1) >> 1]!;
}

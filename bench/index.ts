import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchContext, BenchGroup } from './bench-group.js';
import { describeMachine } from './machine.js';
import { markdownTable } from './markdown-table.js';

/**
 * Every benchmark group, by the name that selects it. A new group is one file default-exporting a
 * `BenchGroup`, plus one line here; loaded on demand, so a group's dependencies load only when it runs.
 */
const groups: Record<string, () => Promise<{ default: BenchGroup }>> = {
  breaker: () => import('./breaker/breaker.bench.js'),
  'breaker-ab': () => import('./breaker/breaker-ab.bench.js'),
  'breaker-ab-instructions': () => import('./breaker/breaker-ab-instructions.bench.js'),
  policies: () => import('./policies/policies.bench.js'),
  health: () => import('./health/health.bench.js'),
  grpc: () => import('./grpc/grpc.bench.js'),
  startup: () => import('./startup/startup.bench.js'),
  e2e: () => import('./e2e/e2e.bench.js'),
  'edit-run': () => import('./startup/edit-run.bench.js'),
};

const USAGE = `usage: npm run bench -- [group ...] [--filter=<regexp>] [--rounds=<n>] [--time=<ms>] [--warmup=<ms>] [--baseline=<git ref>]
  groups: ${Object.keys(groups).join(', ')} (default: all but the A/B groups)
  --filter  only the cases whose name matches
  --rounds  times each case is timed, interleaved; the median round is reported (default 3; e2e: rounds against the reference, at least 4)
  --time    time budget per case and round (default 1000 ms); --warmup: warm-up per case and round (default 250 ms)
  --baseline  breaker-ab, breaker-ab-instructions: the commit whose library is measured against this tree's (default: the commit before the breaker core split)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      filter: { type: 'string' },
      time: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '250' },
      rounds: { type: 'string', default: '3' },
      baseline: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const unknown = positionals.filter((name) => !(name in groups));
  if (unknown.length > 0) throw new Error(`unknown benchmark group: ${unknown.join(', ')}\n${USAGE}`);
  // The A/B groups build another commit's library: only on request.
  const selected = positionals.length > 0 ? positionals : Object.keys(groups).filter((name) => !name.startsWith('breaker-ab'));
  const context: BenchContext = {
    timeMs: positiveNumber('time', values.time),
    warmupMs: positiveNumber('warmup', values.warmup),
    rounds: Math.ceil(positiveNumber('rounds', values.rounds)),
    filter: values.filter === undefined ? undefined : new RegExp(values.filter, 'i'),
    baseline: values.baseline,
    log: (message) => process.stderr.write(`${message}\n`),
  };

  console.log('# engined benchmarks\n');
  console.log(`command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`);
  for (const line of describeMachine()) console.log(line);
  for (const name of selected) {
    const group = (await groups[name]!()).default;
    context.log(`${group.name}: ${group.description}`);
    console.log(`\n## ${group.name}: ${group.description}`);
    for (const section of await group.run(context)) {
      console.log(`\n### ${section.title}\n\n${markdownTable(section.columns, section.rows)}`);
      if (section.notes !== undefined && section.notes.length > 0) console.log(`\n${section.notes.map((note) => `- ${note}`).join('\n')}`);
    }
  }
  console.log(`\nload average at end: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`);
}

function positiveNumber(option: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${option} must be a positive number, got ${value}`);
  return parsed;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

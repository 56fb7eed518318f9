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
  policies: () => import('./policies/policies.bench.js'),
  health: () => import('./health/health.bench.js'),
  grpc: () => import('./grpc/grpc.bench.js'),
  startup: () => import('./startup/startup.bench.js'),
  e2e: () => import('./e2e/e2e.bench.js'),
};

const USAGE = `usage: npm run bench -- [group ...] [--filter=<regexp>] [--rounds=<n>] [--time=<ms>] [--warmup=<ms>]
  groups: ${Object.keys(groups).join(', ')} (default: all)
  --filter  only the cases whose name matches
  --rounds  times each case is timed, interleaved; the median round is reported (default 3)
  --time    time budget per case and round (default 1000 ms); --warmup: warm-up per case and round (default 250 ms)`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      filter: { type: 'string' },
      time: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '250' },
      rounds: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const unknown = positionals.filter((name) => !(name in groups));
  if (unknown.length > 0) throw new Error(`unknown benchmark group: ${unknown.join(', ')}\n${USAGE}`);
  const selected = positionals.length > 0 ? positionals : Object.keys(groups);
  const context: BenchContext = {
    timeMs: positiveNumber('time', values.time),
    warmupMs: positiveNumber('warmup', values.warmup),
    rounds: Math.ceil(positiveNumber('rounds', values.rounds)),
    filter: values.filter === undefined ? undefined : new RegExp(values.filter, 'i'),
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

import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { REPO_ROOT } from '../grpc/protos.js';
import { median } from '../latency.js';
import { formatNumber } from '../markdown-table.js';
import { DaemonProcess } from './daemon-process.js';

const RUNS = 3;
/** Issue #13 §1's goals for `npm start` to readiness SERVING. */
const GOAL_NO_CHANGE_MS = 6_000;
const GOAL_ONE_FILE_MS = 10_000;

/** What each measured start follows; "edit" appends a new exported constant to that file (its typings change too). */
const SCENARIOS = [
  { name: 'no change since the last build', edit: undefined, goalMs: GOAL_NO_CHANGE_MS },
  { name: 'one app file changed (apps/engined/src/records/records.service.ts)', edit: 'apps/engined/src/records/records.service.ts', goalMs: GOAL_ONE_FILE_MS },
  { name: 'one library file changed (libs/resilience/src/index.ts)', edit: 'libs/resilience/src/index.ts', goalMs: GOAL_ONE_FILE_MS },
] as const;

/**
 * The edit-run loop: `npm start` (prestart `tsc -b tsconfig.build.json`, then the daemon) to readiness
 * SERVING, with nothing changed since the last build, and after a one-file change in an app and in the
 * library. It runs in a copy of the repo's sources, so the worktree is never edited.
 */
const editRunGroup: BenchGroup = {
  name: 'edit-run',
  description: 'npm start to readiness SERVING: no change since the last build, one app file changed, one library file changed',
  async run(context: BenchContext): Promise<BenchSection[]> {
    const copy = copyOfRepo();
    try {
      const fullBuildMs = await timed(() => promisify(execFile)('npm', ['run', 'build', '--silent'], { cwd: copy, timeout: 300_000 }));
      context.log(`  full build of the copy: ${Math.round(fullBuildMs)} ms`);
      const rows: string[][] = [];
      let edits = 0;
      const edit = (file: string | undefined): void => {
        if (file !== undefined) appendFileSync(join(copy, file), `\nexport const editRun${++edits} = ${edits};\n`);
      };
      for (const scenario of SCENARIOS) {
        edit(scenario.edit);
        const build = await buildAlone(copy);
        context.log(`  ${scenario.name}, tsc -b alone: ${Math.round(build.wallMs)} ms (CPU ${Math.round(build.cpuMs)} ms)`);
        const times: number[] = [];
        const cpuTimes: number[] = [];
        for (let run = 1; run <= RUNS; run++) {
          edit(scenario.edit);
          const daemon = await DaemonProcess.spawn({}, { command: ['npm', 'start', '--silent'], cwd: copy });
          try {
            const { servingMs } = await daemon.waitUntilServing(120_000);
            const cpuMs = processGroupCpuMs(daemon.pid);
            times.push(servingMs);
            if (cpuMs !== undefined) cpuTimes.push(cpuMs);
            const stop = await daemon.stop();
            context.log(`  ${scenario.name}, run ${run}/${RUNS}: SERVING after ${Math.round(servingMs)} ms (CPU ${cpuMs === undefined ? '?' : Math.round(cpuMs)} ms)`);
            if (stop.orphans) throw new Error(`${scenario.name}: npm start left processes behind\n${daemon.log()}`);
          } finally {
            daemon.kill();
          }
        }
        const result = median(times);
        rows.push([
          scenario.name,
          ...times.map((time) => formatNumber(time)),
          formatNumber(result),
          `≤ ${formatNumber(scenario.goalMs)}`,
          result <= scenario.goalMs ? 'yes' : 'NO',
          cpuTimes.length === RUNS ? formatNumber(median(cpuTimes)) : 'n/a',
          `${formatNumber(build.wallMs)} (CPU ${formatNumber(build.cpuMs)})`,
        ]);
      }
      rows.push(...(await devLoopRows(context, copy, edit)));
      return [
        {
          title: '`npm start` to readiness SERVING, and `npm run dev` from a saved change to the restarted daemon SERVING (ms)',
          columns: ['What runs, after what', ...Array.from({ length: RUNS }, (_, i) => `run ${i + 1}`), 'median', 'goal', 'Met', 'CPU to SERVING, median', '`tsc -b` alone (CPU)'],
          rows,
          notes: [
            `In a copy of the repo's sources (node_modules linked), after a full \`npm run build\` there (${formatNumber(fullBuildMs)} ms with no build info; the three-pass \`tsc -p\` build this replaced took 20–30 s).`,
            'Each run: `npm start` spawned (its prestart is `tsc -b tsconfig.build.json`: up-to-date projects are skipped, a changed one is rebuilt from its build info, and its dependents only if its typings changed), timed to a grpc.health.v1 Watch("readiness") reporting SERVING, then SIGTERM. Ports, drain delay, logs and embedded database as in the startup group.',
            'A "changed" run appends a new exported constant to the file, so its typings change: the library change re-checks both apps that import it.',
            '"CPU to SERVING": user + system time of every process of the start (npm, the prestart tsc it waited for, the daemon) when readiness turned SERVING, from /proc: on a busy machine the wall time is mostly waiting for a core, and the CPU time is close to what the start takes on an idle one.',
            '"npm run dev" rows: `npm run dev` (scripts/dev.mjs: `tsc -b --watch`, the daemon restarted after each build without errors) started once and SERVING; then each run appends a constant to the file and times it until the restarted daemon reports readiness SERVING (the old one stopped with SIGTERM first, same ports). Its CPU column: what the watcher, the old daemon stopping and the new one starting used between the edit and SERVING.',
            'Last column: the same edit once more, then only `tsc -b tsconfig.build.json` (wall time, and the CPU time tsc used).',
          ],
        },
      ];
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  },
};

export default editRunGroup;

/** `npm run dev` in the copy: from a saved one-file change (app, then library) to the restarted daemon SERVING. */
async function devLoopRows(context: BenchContext, copy: string, edit: (file: string) => void): Promise<string[][]> {
  const dev = await DaemonProcess.spawn({}, { command: [process.execPath, join('scripts', 'dev.mjs')], cwd: copy });
  const rows: string[][] = [];
  try {
    await dev.waitUntilServing(300_000);
    for (const scenario of SCENARIOS) {
      if (scenario.edit === undefined) continue;
      const times: number[] = [];
      const cpuTimes: number[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const from = dev.lineCount;
        const cpuBefore = processGroupCpuMs(dev.pid);
        const editedAt = performance.now();
        edit(scenario.edit);
        await dev.waitForLine(/^\[dev\] starting node /, from);
        await dev.waitUntilServing(120_000);
        const servingMs = performance.now() - editedAt;
        const cpuAfter = processGroupCpuMs(dev.pid);
        times.push(servingMs);
        if (cpuBefore !== undefined && cpuAfter !== undefined) cpuTimes.push(cpuAfter - cpuBefore);
        context.log(`  npm run dev, ${scenario.name}, run ${run}/${RUNS}: SERVING ${Math.round(servingMs)} ms after the edit`);
      }
      const result = median(times);
      rows.push([
        `npm run dev, ${scenario.name}`,
        ...times.map((time) => formatNumber(time)),
        formatNumber(result),
        `≤ ${formatNumber(scenario.goalMs)}`,
        result <= scenario.goalMs ? 'yes' : 'NO',
        cpuTimes.length === RUNS ? formatNumber(median(cpuTimes)) : 'n/a',
        '',
      ]);
    }
    const stop = await dev.stop();
    if (stop.code !== 0 || stop.orphans) throw new Error(`npm run dev exited with code ${stop.code}${stop.orphans ? ' and left processes behind' : ''}\n${dev.log()}`);
  } finally {
    dev.kill();
  }
  return rows;
}

/** cpSync's filter: everything but build outputs and installed packages. */
function notBuildOutput(source: string): boolean {
  return !/[/\\](dist|node_modules)$/.test(source);
}

/**
 * The files `npm start` builds and runs, copied to a temporary directory; node_modules is a directory of
 * links to the repo's packages, with @engined/resilience linked to the copy's library.
 */
function copyOfRepo(): string {
  const copy = mkdtempSync(join(tmpdir(), 'engined-edit-run-'));
  for (const entry of ['apps', 'libs', 'proto', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) {
    cpSync(join(REPO_ROOT, entry), join(copy, entry), { recursive: true, filter: notBuildOutput });
  }
  const modules = join(copy, 'node_modules');
  mkdirSync(join(modules, '@engined'), { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry !== '@engined') symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(modules, entry));
  }
  symlinkSync(join(copy, 'libs', 'resilience'), join(modules, '@engined', 'resilience'));
  return copy;
}

/**
 * CPU time (user + system, ms) used so far by the processes of the group led by `pgid`, with the children they
 * have reaped (the prestart's shell and tsc, counted in npm's), from Linux /proc; undefined elsewhere.
 */
function processGroupCpuMs(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return undefined;
  }
  // Clock ticks per second (USER_HZ): 100 on every Linux build Node runs on.
  const TICKS_PER_S = 100;
  let ticks = 0;
  for (const pid of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "pid (comm)": state is field 3; pgrp 5; utime, stime, cutime, cstime 14-17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return (ticks / TICKS_PER_S) * 1_000;
}

/** tsc's own CPU time, printed by the process as it exits (an ES module given to `node --import`). */
const REPORT_CPU = `data:text/javascript,${encodeURIComponent("process.on('exit', () => { const { user, system } = process.cpuUsage(); process.stderr.write(`cpu-us ${user + system}\\n`); });")}`;

/** `tsc -b tsconfig.build.json` in `dir`: its wall time and CPU time. */
async function buildAlone(dir: string): Promise<{ wallMs: number; cpuMs: number }> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  let stderr = '';
  const wallMs = await timed(async () => {
    ({ stderr } = await promisify(execFile)(process.execPath, ['--import', REPORT_CPU, tsc, '-b', 'tsconfig.build.json'], { cwd: dir, timeout: 300_000 }));
  });
  const cpu = /cpu-us (\d+)/.exec(stderr);
  if (cpu === null) throw new Error(`tsc -b reported no CPU time: ${stderr}`);
  return { wallMs, cpuMs: Number(cpu[1]) / 1_000 };
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

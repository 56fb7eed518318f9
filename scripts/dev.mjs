#!/usr/bin/env node
/**
 * `npm run dev [-- downstream]`: `tsc -b --watch` over the library and both apps (tsconfig.build.json),
 * and the daemon restarted after every build that ends with no error, so a change in apps/ or in
 * libs/resilience/src is running a few seconds after it is saved. A build with errors leaves the running
 * daemon alone. Ctrl-C (or SIGTERM) stops the daemon, then the watcher.
 *
 * The repo has no @nestjs/cli: `nest start --watch` does the same for a one-project app, and this is the
 * monorepo's equivalent with tsc's own project references (`npx nest` would install an unrelated package).
 *
 * Options (for other layouts, and the test of this script):
 *   --build <tsconfig>  the solution to watch (default tsconfig.build.json)
 *   --main <file>       the built entry point to run (default dist/apps/<app>/src/main.js)
 *   --stop-timeout <ms> how long a stopping daemon gets before SIGKILL (default 30000)
 *
 * The daemon runs with SHUTDOWN_DRAIN_MS=0 unless that is set in the environment: nothing needs the drain
 * delay between two restarts on a developer's machine.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const APPS = ['engined', 'downstream'];
const USAGE = `usage: npm run dev [-- engined|downstream] [--build <tsconfig>] [--main <file>] [--stop-timeout <ms>]`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    build: { type: 'string', default: 'tsconfig.build.json' },
    main: { type: 'string' },
    'stop-timeout': { type: 'string', default: '30000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const app = positionals[0] ?? 'engined';
if (!APPS.includes(app) || positionals.length > 1) fail(`unknown app ${JSON.stringify(positionals.join(' '))} (one of ${APPS.join(', ')})`);
const stopTimeoutMs = Number(values['stop-timeout']);
if (!Number.isInteger(stopTimeoutMs) || stopTimeoutMs <= 0) fail(`--stop-timeout must be a positive integer (ms), got ${values['stop-timeout']}`);
const main = resolve(values.main ?? `dist/apps/${app}/src/main.js`);
const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** "12:00:00 PM - Found 0 errors. Watching for file changes." (tsc's watch summary after every build). */
const BUILD_DONE = /Found (\d+) errors?\. Watching for file changes/;
/** tsc colours its output when ours is a terminal. */
// oxlint-disable-next-line no-control-regex -- the escape character is what is being removed
const ANSI = /\u001b\[[\d;]*m/g;

const daemonEnv = { ...process.env };
// An empty value counts as unset for the daemon too.
if (!daemonEnv.SHUTDOWN_DRAIN_MS) daemonEnv.SHUTDOWN_DRAIN_MS = '0';

/** The running daemon, and its exit once it has ended. */
let daemon;
let restarting = false;
let shuttingDown = false;

const tsc = spawn(process.execPath, [tscBin, '-b', values.build, '--watch', '--preserveWatchOutput', ...(process.stdout.isTTY ? ['--pretty'] : [])], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
createInterface({ input: tsc.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  const done = BUILD_DONE.exec(line.replace(ANSI, ''));
  if (done === null || shuttingDown) return;
  if (done[1] === '0') void restart();
  else log(daemon ? 'build failed: the daemon keeps running the previous build' : 'build failed: the daemon starts after the next build without errors');
});
tsc.on('exit', (code, signal) => {
  if (shuttingDown) return;
  log(`tsc --watch exited (${signal ?? `code ${code}`})`);
  void shutdown(1);
});

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** Stops the daemon if it runs, then starts the build just made. */
async function restart() {
  // A build that ends while the daemon stops needs nothing more: the start that follows loads it.
  if (restarting) return;
  restarting = true;
  try {
    if (daemon) {
      log('build done: restarting the daemon');
      await stopDaemon();
    }
    if (!shuttingDown) startDaemon();
  } finally {
    restarting = false;
  }
}

function startDaemon() {
  log(`starting node ${relative(main)}`);
  const child = spawn(process.execPath, [main], { stdio: 'inherit', env: daemonEnv });
  const exited = new Promise((settle) => child.once('exit', (code, signal) => settle({ code, signal })));
  const current = { child, exited, stopping: false };
  daemon = current;
  void exited.then(({ code, signal }) => {
    if (current.stopping) return;
    if (daemon === current) daemon = undefined;
    log(`the daemon exited (${signal ?? `code ${code}`}); it starts again after the next build without errors`);
  });
}

/** SIGTERM, then the exit (SIGKILL after --stop-timeout): the next one binds the same ports. */
async function stopDaemon() {
  const current = daemon;
  if (!current) return;
  current.stopping = true;
  current.child.kill('SIGTERM');
  const timer = setTimeout(() => {
    log(`the daemon did not exit within ${stopTimeoutMs} ms of SIGTERM: SIGKILL`);
    current.child.kill('SIGKILL');
  }, stopTimeoutMs);
  await current.exited;
  clearTimeout(timer);
  if (daemon === current) daemon = undefined;
}

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  await stopDaemon();
  if (tsc.exitCode === null && tsc.signalCode === null) tsc.kill('SIGTERM');
  process.exitCode = code;
}

function relative(file) {
  return file.startsWith(`${process.cwd()}/`) ? file.slice(process.cwd().length + 1) : file;
}

function log(message) {
  process.stdout.write(`[dev] ${message}\n`);
}

function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

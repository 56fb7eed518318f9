import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const ROOT = join(import.meta.dirname, '../..');
const DEV = join(ROOT, 'scripts/dev.mjs');
/** Each step waits on a line; tsc's first build and each rebuild of the tiny fixture take seconds even on a loaded machine. */
const STEP_MS = 60_000;

const COMPILER_OPTIONS = {
  target: 'ES2023',
  lib: ['ES2023'],
  module: 'nodenext',
  moduleResolution: 'nodenext',
  types: [],
  strict: true,
  composite: true,
  rootDir: '.',
};

/**
 * The repo's layout in miniature, in a temporary directory (the worktree is never edited): a library
 * project and an app project referencing it, an app source importing the library's, one solution
 * tsconfig; the app prints what it serves and stops on SIGTERM like the daemon.
 */
function writeFixture(dir: string): void {
  const write = (file: string, text: string) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write('package.json', JSON.stringify({ type: 'module' }));
  write('tsconfig.build.json', JSON.stringify({ files: [], references: [{ path: './lib' }, { path: './app' }] }));
  write('lib/tsconfig.json', JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, outDir: '../dist/lib' }, include: ['src/**/*.ts'] }));
  write(
    'app/tsconfig.json',
    JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, outDir: '../dist/app' }, include: ['src/**/*.ts'], references: [{ path: '../lib' }] }),
  );
  writeLibrary(dir, 'v1');
  writeApp(dir, '');
}

function writeLibrary(dir: string, version: string): void {
  mkdirSync(join(dir, 'lib/src'), { recursive: true });
  writeFileSync(join(dir, 'lib/src/version.ts'), `export const version: string = '${version}';\n`);
}

/** The app's main.ts; `extra` is appended (a type error, or a change of its own). */
function writeApp(dir: string, extra: string): void {
  mkdirSync(join(dir, 'app/src'), { recursive: true });
  writeFileSync(
    join(dir, 'app/src/main.ts'),
    [
      `import { version } from '../../lib/src/version.js';`,
      `declare const process: { pid: number; on(signal: string, listener: () => void): void; stdout: { write(text: string): void } };`,
      `declare function setInterval(callback: () => void, ms: number): unknown;`,
      `declare function clearInterval(timer: unknown): void;`,
      `const timer = setInterval(() => undefined, 60_000);`,
      `process.on('SIGTERM', () => { process.stdout.write('fixture stopping\\n'); clearInterval(timer); });`,
      `process.stdout.write(\`fixture serving \${version}${extra === '' ? '' : ' (app changed)'} pid \${process.pid}\\n\`);`,
      extra,
      '',
    ].join('\n'),
  );
}

/** scripts/dev.mjs as `npm run dev` starts it, with its output as lines. */
class DevProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private readonly waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i]!;
        if (!waiter.pattern.test(line)) continue;
        this.waiters.splice(i, 1);
        waiter.resolve(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The next line from now on matching `pattern` (or one already printed at or after line `from`). */
  next(pattern: RegExp, from = this.lines.length): Promise<string> {
    const printed = this.lines.slice(from).find((line) => pattern.test(line));
    if (printed !== undefined) return Promise.resolve(printed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`scripts/dev.mjs printed no line matching ${pattern} within ${STEP_MS} ms; it printed:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`));
      }, STEP_MS);
      this.waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }
}

/** The pid in "fixture serving v1 pid 123". */
function pidOf(line: string): number {
  return Number(/pid (\d+)/.exec(line)![1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run dev (scripts/dev.mjs): tsc -b --watch, and the app restarted after each build without errors', () => {
  let dir: string;
  let running: DevProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'engined-dev-'));
    writeFixture(dir);
    // Its own process group, so that afterAll can end whatever is left of it (the watcher, the app).
    running = new DevProcess(
      spawn(process.execPath, [DEV, '--build', 'tsconfig.build.json', '--main', 'dist/app/src/main.js', '--stop-timeout', '20000'], {
        cwd: dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
  });

  function started(): DevProcess {
    if (running === undefined) throw new Error('scripts/dev.mjs was not started (see beforeAll)');
    return running;
  }

  afterAll(async () => {
    const dev = running;
    if (dev !== undefined && dev.child.exitCode === null && dev.child.signalCode === null) {
      try {
        process.kill(-dev.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await dev.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'starts the app after the first build, restarts it after a change in the library, keeps it through a failed build, and stops both on SIGTERM',
    async () => {
      const dev = started();
      const first = await dev.next(/^fixture serving v1 pid \d+$/, 0);
      const firstPid = pidOf(first);

      // A change in the library project: rebuilt, then the app stopped (SIGTERM) and started on the new build.
      let from = dev.lines.length;
      writeLibrary(dir, 'v2');
      const second = await dev.next(/^fixture serving v2 pid \d+$/, from);
      const afterChange = dev.lines.slice(from);
      expect(afterChange).toEqual(expect.arrayContaining(['[dev] build done: restarting the daemon', 'fixture stopping']));
      expect(afterChange.indexOf('fixture stopping')).toBeLessThan(afterChange.indexOf(second));
      // A restart is not reported as the app exiting on its own.
      expect(afterChange.filter((line) => line.startsWith('[dev] the daemon exited'))).toEqual([]);
      expect(pidOf(second)).not.toBe(firstPid);
      expect(alive(firstPid)).toBe(false);

      // A type error in the app: tsc reports it, and the running app is left alone.
      from = dev.lines.length;
      writeApp(dir, `export const broken: number = 'not a number';`);
      await dev.next(/^\[dev\] build failed: the daemon keeps running the previous build$/, from);
      expect(dev.lines.slice(from).join('\n')).toContain('error TS2322');
      expect(dev.lines.slice(from)).not.toContain('fixture stopping');
      expect(alive(pidOf(second))).toBe(true);

      // Fixed: the next build restarts it with the app's change.
      from = dev.lines.length;
      writeApp(dir, `export const fixed: number = 1;`);
      const third = await dev.next(/^fixture serving v2 \(app changed\) pid \d+$/, from);
      expect(alive(pidOf(second))).toBe(false);

      from = dev.lines.length;
      dev.child.kill('SIGTERM');
      await expect(dev.exited).resolves.toEqual({ code: 0, signal: null });
      expect(dev.lines.slice(from)).toContain('fixture stopping');
      expect(alive(pidOf(third))).toBe(false);
    },
    6 * STEP_MS,
  );
});

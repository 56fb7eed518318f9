import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IConfigMap } from 'kubernetes-models/v1';
import { createHealthClient } from '../../apps/engined/src/grpc/grpc-health.client.js';
import { withoutColours } from '../app/support/daemon-process.js';
import { Cleanup } from '../app/support/cleanup.js';
import { HealthWatch } from '../app/support/health-watch.js';
import { RecordsClient } from '../app/support/records-client.js';
import { ensureLibraryBuilt } from '../support/library-build.js';
import { copiesFromStages, last, parseDockerfile, type Stage } from './support/dockerfile.js';
import { find, loadDeployBase, ROOT } from './support/manifests.js';

// Building the apps and starting a real process take seconds each, more on a loaded machine. Nothing
// below waits on time: every step waits on a build, a log line, a response or an exit.
const BUILD_AND_RUN_MS = 240_000;
const BUILD_TIMEOUT_MS = 180_000;
/** The library build (which may wait for another worker's) plus the apps' build. */
const LAYOUT_MS = 420_000;
/** A generous bound on the graceful shutdown (drain 0, no call in flight), so a hang fails by name. */
const EXIT_AFTER_SIGTERM_MS = 60_000;
/** Bit of SIGTERM (15) in /proc/<pid>/status signal masks. */
const SIGTERM_BIT = 1n << 14n;

describe('Dockerfile', () => {
  let stages: Stage[];
  let runtime: Stage;

  beforeAll(async () => {
    stages = parseDockerfile(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    runtime = stages.at(-1)!;
  });

  it('builds in one stage and runs from another, as a non-root user, with node itself as the command (PID 1)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(copiesFromStages(runtime).every((copy) => copy.stage === 'build')).toBe(true);
    // The runtime stage installs and compiles nothing: it only copies what the build stage made.
    expect(runtime.instructions.filter((i) => i.keyword === 'RUN')).toEqual([]);
    // A numeric, non-zero user, so Kubernetes' runAsNonRoot can verify it.
    expect(last(runtime, 'USER')?.args).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    // Exec form and no ENTRYPOINT: a shell form would make /bin/sh PID 1, and sh does not pass SIGTERM on.
    expect(last(runtime, 'ENTRYPOINT')).toBeUndefined();
    expect(JSON.parse(last(runtime, 'CMD')!.args)).toEqual(['node', 'dist/apps/engined/src/main.js']);
    expect(last(runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(last(runtime, 'WORKDIR')?.args).toBe('/app');
  });

  it('sends the build stage what it copies, and keeps local builds, dependencies and secrets out of the context (.dockerignore)', async () => {
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist', 'libs/*/dist', '.env', '.data']));
    const build = stages.find((s) => s.name === 'build')!;
    const sources = build.instructions
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((word) => !word.startsWith('--')).slice(0, -1));
    expect(sources.toSorted()).toEqual(['apps', 'libs/resilience', 'libs/resilience/package.json', 'package-lock.json', 'package.json', 'proto', 'tsconfig*.json']);
    // Every tsconfig the build reads: the root one, and tsconfig.build.json where the build has project references.
    const tsconfigs = (await readdir(ROOT)).filter((file) => /^tsconfig.*\.json$/.test(file));
    expect(tsconfigs).toContain('tsconfig.json');
    for (const source of [...sources.filter((s) => !s.includes('*')), ...tsconfigs]) {
      // A source, or a folder above it, left out of the context would fail the build.
      const excluded = ignored.filter((pattern) => !pattern.startsWith('!') && (source === pattern || source.startsWith(`${pattern}/`)));
      expect({ source, excluded }).toEqual({ source, excluded: [] });
      expect(existsSync(join(ROOT, source))).toBe(true);
    }
  });

  describe('its CMD as PID 1 of a new PID namespace, on the runtime stage\'s files', () => {
    const cleanup = new Cleanup();
    let app: string;
    afterAll(() => cleanup.run());

    /**
     * /app as the runtime stage lays it out: one entry per `COPY --from=build`. The build stage's
     * /app is this repository after `npm run build`: dist/apps is compiled here into the copy's
     * destination, every other source is linked from the repository (and must exist there).
     */
    beforeAll(async () => {
      const workdir = last(runtime, 'WORKDIR')!.args;
      app = join(cleanup.add(await mkdtemp(join(tmpdir(), 'engined-image-')), (dir) => rm(dir, { recursive: true, force: true })), 'app');
      await ensureLibraryBuilt();
      await buildApps();
      for (const { source, destination } of copiesFromStages(runtime)) {
        const from = posix.relative('/app', source);
        const to = join(app, posix.isAbsolute(destination) ? posix.relative(workdir, destination) : destination);
        await mkdir(dirname(to), { recursive: true });
        if (!existsSync(join(ROOT, from))) throw new Error(`Dockerfile: COPY --from=build ${source}: the build stage has no ${from}`);
        // The compiled apps are copied, so node resolves their imports from /app as in the image;
        // the rest (dependencies, the library, proto/) is linked.
        if (from === 'dist' || from.startsWith('dist/')) await cp(join(ROOT, from), to, { recursive: true });
        else await symlink(join(ROOT, from), to);
      }
    }, LAYOUT_MS);

    it(
      'serves with the ConfigMap\'s settings, and SIGTERM sent from outside (as the kubelet does) stops it with exit code 0',
      async () => {
        const { data = {} } = find<IConfigMap>(await loadDeployBase(), 'ConfigMap', 'engined-env');
        // The production settings, on loopback and ephemeral ports, with the embedded database (no DATABASE_URL).
        const env = {
          ...data,
          GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', DOWNSTREAM_PORT: '0', SHUTDOWN_DRAIN_MS: '0',
          PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        };
        const cmd = JSON.parse(last(runtime, 'CMD')!.args) as string[];
        // --kill-child: if the test dies, the daemon dies with unshare.
        const image = cleanup.add(new NamespacedProcess(spawn('unshare', ['--pid', '--fork', '--kill-child', '--', ...cmd], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })), (p) => p.stop());

        const line = withoutColours(await image.line(/gRPC API on /));
        const [, grpcTarget] = /gRPC API on (\S+), HTTP on/.exec(line)!;
        const client = cleanup.add(new RecordsClient(grpcTarget!), (c) => c.close());
        const health = cleanup.add(createHealthClient(grpcTarget!), (c) => c.close());
        await cleanup.add(new HealthWatch(health, 'readiness'), (w) => w.cancel()).next('SERVING');
        const created = await client.call<{ name: string }>('CreateRecord', { name: 'from the image' });
        expect(created.ok ? created.value.name : created.error).toBe('from the image');

        // node is PID 1 in its namespace, and has a SIGTERM handler: PID 1 gets no default action, so
        // without one the kernel would drop the kubelet's SIGTERM and the pod would wait for SIGKILL.
        const daemon = await image.child();
        const statusFile = await readFile(`/proc/${daemon}/status`, 'utf8');
        expect(/^NSpid:\s+(.*)$/m.exec(statusFile)![1]!.split(/\s+/)).toEqual([String(daemon), '1']);
        expect(BigInt(`0x${/^SigCgt:\s+(\w+)$/m.exec(statusFile)![1]}`) & SIGTERM_BIT).toBe(SIGTERM_BIT);

        process.kill(daemon, 'SIGTERM');
        await expect(image.exitedWithin(EXIT_AFTER_SIGTERM_MS, 'after SIGTERM')).resolves.toEqual({ code: 0, signal: null });
        expect(image.stderr).toBe('');
      },
      BUILD_AND_RUN_MS,
    );
  });
});

/**
 * The apps' part of the build stage's `npm run build`, into the repository's dist/ (as `npm start` does).
 * The library was built by `ensureLibraryBuilt`, under the lock other suites take for it: `build:apps` when
 * the package has it, else `npm run build`, whose library step then finds nothing to do.
 */
async function buildApps(): Promise<void> {
  const { scripts } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = 'build:apps' in scripts ? 'build:apps' : 'build';
  await promisify(execFile)('npm', ['run', script], { cwd: ROOT, timeout: BUILD_TIMEOUT_MS }).catch((error: Error & { stdout?: string }) => {
    throw new Error(`npm run ${script} failed: ${error.message}${error.stdout ?? ''}`, { cause: error });
  });
}

/** `unshare --pid --fork -- <cmd>`: its child runs <cmd> as PID 1 of a new PID namespace. */
class NamespacedProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderrText = '';
  private readonly waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  constructor(private readonly unshare: ChildProcess) {
    createInterface({ input: unshare.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const waiter of this.waiters.filter((w) => w.pattern.test(line))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    });
    unshare.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    this.exited = new Promise((resolve, reject) => {
      unshare.once('error', (error) => reject(new Error(`unshare could not start (it needs root or user namespaces): ${error.message}`, { cause: error })));
      unshare.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The first stdout line (written or to come) matching `pattern`; rejects if the process exits first. */
  line(pattern: RegExp): Promise<string> {
    const written = this.lines.find((line) => pattern.test(line));
    if (written !== undefined) return Promise.resolve(written);
    const next = new Promise<string>((resolve) => this.waiters.push({ pattern, resolve }));
    const exitedFirst = this.exited.then((exit) => {
      throw new Error(`the daemon exited (${JSON.stringify(exit)}) before logging ${pattern}; stderr: ${this.stderrText}`);
    });
    return Promise.race([next, exitedFirst]);
  }

  /** The exit, or a rejection naming `what` when the process still runs `ms` from now. */
  async exitedWithin(ms: number, what: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the daemon still ran ${ms} ms ${what}; stdout: ${this.lines.slice(-5).join('\n')}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Host PID of the namespace's PID 1 (unshare's only child). */
  async child(): Promise<number> {
    const pid = this.unshare.pid!;
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/);
    if (children.length !== 1) throw new Error(`unshare (${pid}) has children ${children.join(', ') || '(none)'}, expected one`);
    return Number(children[0]);
  }

  /** Kills unshare (and with it the daemon) if it still runs, and waits for it to end. */
  async stop(): Promise<void> {
    if (this.unshare.exitCode === null && this.unshare.signalCode === null) this.unshare.kill('SIGKILL');
    await this.exited.catch(() => undefined);
  }
}

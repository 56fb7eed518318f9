import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../free-port.js';
import { checkHealth, healthServiceClient, REPO_ROOT, type ServingStatus } from '../grpc/protos.js';

/** The built sample daemon (`npm run build`). */
export const DAEMON_MAIN = join(REPO_ROOT, 'dist', 'apps', 'engined', 'src', 'main.js');
/** Where the daemon caches a dump of a fresh embedded cluster (see apps/engined/src/database/pglite-template.ts). */
const TEMPLATE_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'engined');
/** Between two Check polls while the gRPC port is not answering yet. */
const POLL_MS = 5;

/** Whether the embedded database's template dump is cached (a warm start loads it instead of running initdb). */
export function templateCacheWarm(): boolean {
  return existsSync(TEMPLATE_CACHE_DIR) && readdirSync(TEMPLATE_CACHE_DIR).some((file) => /^pglite-.+\.tar\.gz$/.test(file));
}

/** Variables the daemon reads: none is inherited from the bench's environment, so every run starts from the defaults. */
const DAEMON_VARIABLE = /^(GRPC_|HTTP_|DATABASE_|PGLITE_|DOWNSTREAM_|HEALTH_|SHUTDOWN_|LOG_|ENGINED_)/;

export interface ServingTimes {
  /** ms from spawn to the first answer of grpc.health.v1 Check (any status). */
  readonly answeringMs: number;
  /** ms from spawn to Watch("readiness") reporting SERVING. */
  readonly servingMs: number;
}

export interface StopResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** ms from SIGTERM to exit. */
  readonly stopMs: number;
  /** A process still in the daemon's process group after it exited (killed then). */
  readonly orphans: boolean;
}

/**
 * `node dist/apps/engined/src/main.js` in its own process group, on free loopback ports, embedded
 * database and in-process downstream, with the drain delay off and JSON logs.
 */
export class DaemonProcess {
  private readonly output: string[] = [];
  /** Every line the daemon printed, with when it arrived (`performance.now()`). */
  private readonly lines: { at: number; text: string }[] = [];
  private partial = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly grpcTarget: string,
    readonly httpUrl: string,
    /** `performance.now()` just before the spawn. */
    readonly spawnedAt: number,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => {
      const at = performance.now();
      const text = this.partial + chunk.toString();
      const lines = text.split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) this.lines.push({ at, text: line });
    });
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
  }

  /**
   * `env`: variables set on top of the defaults below (DATABASE_URL, PGLITE_THREAD, DATABASE_POOL_SIZE, ...).
   * `options.command` replaces `node dist/apps/engined/src/main.js` (the edit-run bench runs `npm start`, which
   * builds first, and `npm run dev`), in `options.cwd` (default the repo).
   */
  static async spawn(
    env: Readonly<Record<string, string>> = {},
    options: { command?: readonly [string, ...string[]]; cwd?: string } = {},
  ): Promise<DaemonProcess> {
    if (options.command === undefined && !existsSync(DAEMON_MAIN)) throw new Error(`${DAEMON_MAIN} not found: run npm run build first`);
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const childEnv: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!DAEMON_VARIABLE.test(name)) childEnv[name] = value;
    Object.assign(childEnv, {
      GRPC_PORT: String(grpcPort),
      HTTP_PORT: String(httpPort),
      DOWNSTREAM_PORT: '0',
      PGLITE_PORT: '0',
      SHUTDOWN_DRAIN_MS: '0',
      // JSON lines at the default level, so that the bench can time the start-up milestones the daemon logs.
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'log',
      ...env,
    });
    const spawnedAt = performance.now();
    // detached: its own process group, so that anything it leaves behind can be found (and killed).
    const [command, ...args] = options.command ?? [process.execPath, ...(process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? []), DAEMON_MAIN];
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return new DaemonProcess(child, `127.0.0.1:${grpcPort}`, `http://127.0.0.1:${httpPort}`, spawnedAt);
  }

  /** How many stdout lines have arrived so far (a start index for {@link waitForLine}). */
  get lineCount(): number {
    return this.lines.length;
  }

  /** The first stdout line from index `from` on that matches `pattern` (polled every 20 ms); rejects after `timeoutMs` or if the process exits. */
  async waitForLine(pattern: RegExp, from: number, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.slice(from).find(({ text }) => pattern.test(text));
      if (line !== undefined) return line.text;
      this.assertRunning();
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms\n${this.log()}`);
      await sleep(20);
    }
  }

  /** Polls Check("readiness") until the gRPC port answers, then watches readiness until SERVING. */
  async waitUntilServing(timeoutMs = 60_000): Promise<ServingTimes> {
    const deadline = Date.now() + timeoutMs;
    // Short reconnect backoff: the port opens during the first seconds, and grpc-js would otherwise wait ~1 s between attempts.
    const client = healthServiceClient(this.grpcTarget, { 'grpc.initial_reconnect_backoff_ms': POLL_MS, 'grpc.max_reconnect_backoff_ms': POLL_MS * 4 });
    try {
      let status: ServingStatus | undefined;
      while (status === undefined) {
        this.assertRunning();
        if (Date.now() > deadline) throw new Error(`the daemon did not answer gRPC within ${timeoutMs} ms\n${this.log()}`);
        status = await checkHealth(client, 'readiness', 1_000).catch(() => undefined);
        if (status === undefined) await sleep(POLL_MS);
      }
      const answeringMs = performance.now() - this.spawnedAt;
      if (status === 'SERVING') return { answeringMs, servingMs: answeringMs };
      const stream = client.Watch({ service: 'readiness' });
      try {
        const timer = setTimeout(() => stream.cancel(), Math.max(0, deadline - Date.now()));
        for await (const message of stream as AsyncIterable<{ status: ServingStatus }>) {
          if (message.status === 'SERVING') {
            clearTimeout(timer);
            return { answeringMs, servingMs: performance.now() - this.spawnedAt };
          }
        }
        throw new Error(`readiness never turned SERVING\n${this.log()}`);
      } finally {
        stream.cancel();
      }
    } finally {
      client.close();
    }
  }

  /** SIGTERM, then waits for the exit; checks that nothing of its process group survives. */
  async stop(timeoutMs = 30_000): Promise<StopResult> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the daemon exited early\n${this.log()}`);
    const exited = once(this.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const sent = performance.now();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const [code, signal] = await exited;
    const stopMs = performance.now() - sent;
    clearTimeout(timer);
    let orphans = false;
    try {
      process.kill(-this.child.pid!, 0);
      orphans = true;
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // ESRCH: the process group is empty.
    }
    return { code, signal, stopMs, orphans };
  }

  /** The daemon's process id (the spawned process: the leader of its process group). */
  get pid(): number {
    return this.child.pid!;
  }

  /** The daemon's resident set size now, in bytes (Linux `/proc`), worker threads included. */
  rssBytes(): number {
    const line = readFileSync(`/proc/${this.child.pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    if (line === undefined) throw new Error(`no VmRSS in /proc/${this.child.pid}/status`);
    return Number(line.split(/\s+/)[1]) * 1_024;
  }

  /** Last resort for a failed run: the whole process group. */
  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** ms from spawn to the arrival of the first line the daemon printed that matches `pattern`, or undefined. */
  lineAfterSpawnMs(pattern: RegExp): number | undefined {
    const line = this.lines.find(({ text }) => pattern.test(text));
    return line === undefined ? undefined : line.at - this.spawnedAt;
  }

  /** What the daemon printed on stderr, and its last lines on stdout. */
  log(): string {
    return [...this.lines.slice(-20).map(({ text }) => text), this.partial, ...this.output].join('\n').trim();
  }

  private assertRunning(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      throw new Error(`the daemon exited (code ${this.child.exitCode}, signal ${this.child.signalCode})\n${this.log()}`);
    }
  }
}

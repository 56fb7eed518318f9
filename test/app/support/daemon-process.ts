import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '../../..');
const REGISTER_TS = join(import.meta.dirname, 'register-ts.mjs');

/** The entry points of the two apps. */
export const MAINS = {
  engined: join(ROOT, 'apps/engined/src/main.ts'),
  downstream: join(ROOT, 'apps/downstream/src/main.ts'),
} as const;

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * `apps/engined/src/main.ts` (or another app's `main.ts`) run as a real process, the sources transpiled on load:
 * real signals, exit codes, `process.env` and `.env`. Its environment is only what the test gives it
 * (plus PATH), so the runner's variables never leak in.
 */
export class DaemonProcess {
  /** stdout, line by line. */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private stderrText = '';
  private readonly lineWaiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (let i = this.lineWaiters.length - 1; i >= 0; i--) {
        const waiter = this.lineWaiters[i]!;
        if (!waiter.match(line)) continue;
        this.lineWaiters.splice(i, 1);
        waiter.resolve(line);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(env: Record<string, string>, cwd: string, main: string = MAINS.engined): DaemonProcess {
    const child = spawn(process.execPath, ['--import', REGISTER_TS, main], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new DaemonProcess(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What the process wrote to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** The first stdout line (already written or to come) matching `pattern`; rejects if the process exits first. */
  line(pattern: RegExp): Promise<string> {
    const written = this.lines.find((line) => pattern.test(line));
    if (written !== undefined) return Promise.resolve(written);
    const next = new Promise<string>((resolve) => this.lineWaiters.push({ match: (line) => pattern.test(line), resolve }));
    const exitedFirst = this.exited.then((exit) => {
      throw new Error(`the daemon exited (${JSON.stringify(exit)}) before logging ${pattern}; stderr: ${this.stderrText}`);
    });
    return Promise.race([next, exitedFirst]);
  }

  /** The bound ports, from the startup log line. */
  async listening(): Promise<{ grpcTarget: string; httpUrl: string }> {
    const line = withoutColours(await this.line(/gRPC API on /));
    const [, grpc, http] = /gRPC API on (\S+), HTTP on ([^"\s]+)/.exec(line)!;
    return { grpcTarget: grpc!, httpUrl: `http://${http}` };
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Kills the process if it still runs and waits for it to end (cleanup after a failed test). */
  async stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** A text log line without its ANSI colour codes. */
export function withoutColours(line: string): string {
  // oxlint-disable-next-line no-control-regex -- the escape character is what is being removed
  return line.replace(/\u001b\[[\d;]*m/g, '');
}

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';

/** What a bench child and its parent exchange over IPC: a `type`, then the type's fields. */
export interface ChildMessage {
  readonly type: string;
  readonly [field: string]: unknown;
}

/**
 * A compiled bench module run in its own Node process, so that what it measures (a server, a scheduler)
 * does not share an event loop or a CPU-time counter with the client or with the other cases.
 * The child answers over IPC (see {@link childChannel}); `stop()` asks it to close and waits for exit 0.
 */
export class BenchChild {
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters: { type: string; resolve(message: ChildMessage): void; reject(error: Error): void }[] = [];
  private exitError: Error | undefined;
  private readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    child.on('message', (message: ChildMessage) => {
      const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
      if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
      else this.inbox.push(message);
    });
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = once(child, 'exit').then(([code, signal]) => {
      this.exitError = new Error(`${name} exited (code ${String(code)}, signal ${String(signal)}) ${this.stderr.join('').trim()}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.exitError);
      return code as number | null;
    });
  }

  /** Forks `module` (a compiled `.js` next to the caller, e.g. `new URL('./x.child.js', import.meta.url)`). */
  static start(module: URL, args: readonly string[] = [], name = module.pathname.split('/').at(-1)!): BenchChild {
    // stdout is inherited only for debugging; the children print nothing there.
    // BENCH_CHILD_ARGS passes node flags to the children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile a server.
    const execArgv = process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? [];
    const child = fork(module, [...args], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'], execArgv });
    return new BenchChild(child, name);
  }

  /** The next message of `type` (already received or still to come); rejects if the child exits first. */
  next<M extends ChildMessage = ChildMessage>(type: string, timeoutMs = 60_000): Promise<M> {
    const index = this.inbox.findIndex((message) => message.type === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as M);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise<M>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message as M);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Whether a message of `type` has arrived and not been taken by `next`. */
  has(type: string): boolean {
    return this.inbox.some((message) => message.type === type);
  }

  send(message: ChildMessage): void {
    this.child.send(message);
  }

  /** Asks the child to close what it runs and exit; throws unless it exits with code 0 in time. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    if (code !== 0) throw new Error(`${this.name} exited with code ${String(code)}: ${this.stderr.join('').trim()}`);
  }

  /** Last resort for a failed run: no child outlives the bench. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The child's side: send messages to the parent, wait for its messages, close on `stop` or when the parent goes away. */
export function childChannel(onStop: () => Promise<void>): {
  send(message: ChildMessage): void;
  next<M extends ChildMessage = ChildMessage>(type: string): Promise<M>;
} {
  if (process.send === undefined) throw new Error('run this module through BenchChild.start (it needs an IPC channel)');
  const inbox: ChildMessage[] = [];
  const waiters: { type: string; resolve(message: ChildMessage): void }[] = [];
  const stop = (): void => {
    onStop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: ChildMessage) => {
    if (message.type === 'stop') return stop();
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  // An orphaned child (the bench crashed) must not keep its server running.
  process.on('disconnect', stop);
  return {
    send: (message) => process.send!(message),
    next: <M extends ChildMessage>(type: string) => {
      const index = inbox.findIndex((message) => message.type === type);
      if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0] as M);
      return new Promise<M>((resolve) => waiters.push({ type, resolve: (message) => resolve(message as M) }));
    },
  };
}

/** Runs a child's main; a failure is reported to stderr (the parent shows it) and exits 1. */
export function runChild(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonProcess, type Exit, withoutColours } from '../../app/support/daemon-process.js';

/** The admin token every replica shares (as one Kubernetes Secret would give it to each pod). */
export const ADMIN_TOKEN = 'cluster-test-admin-token-0123456789';

/**
 * One replica of the daemon: `apps/engined/src/main.ts` as a real process on fixed loopback ports (picked
 * free once, so a restarted replica comes back at the same address, as a pod behind its Service would).
 */
export class Replica {
  process: DaemonProcess | undefined;
  /** `Date.now()` when the current process was spawned. */
  startedAt = 0;

  private constructor(
    readonly name: string,
    readonly grpcPort: number,
    readonly httpPort: number,
    private readonly cwd: string,
    private readonly env: Record<string, string>,
  ) {}

  static async create(name: string, env: Record<string, string>): Promise<Replica> {
    const cwd = await mkdtemp(join(tmpdir(), `engined-${name}-`));
    return new Replica(name, await freePort(), await freePort(), cwd, env);
  }

  get address(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  start(): DaemonProcess {
    this.startedAt = Date.now();
    this.process = DaemonProcess.start(
      { ...this.env, GRPC_HOST: '127.0.0.1', GRPC_PORT: String(this.grpcPort), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(this.httpPort) },
      this.cwd,
    );
    return this.process;
  }

  /** Stdout lines of the current process without colours. */
  lines(): string[] {
    return (this.process?.lines ?? []).map(withoutColours);
  }

  /** SIGTERM and the exit. */
  async terminate(): Promise<Exit> {
    const running = this.require();
    running.signal('SIGTERM');
    return running.exited;
  }

  /** An admin API request (bearer token set); the JSON answer. */
  async admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${this.httpUrl}/resilience${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** Polls the admin API until breaker `name` is in `state`; rejects, naming the state seen, past `deadline` (`Date.now()`). */
  async untilBreaker(name: string, state: string, deadline: number): Promise<void> {
    for (;;) {
      const seen = (await this.admin('GET', `/breakers/${name}`)).json.state;
      if (seen === state) return;
      if (Date.now() > deadline) throw new Error(`breaker "${name}" of replica ${this.name} still ${String(seen)}, not ${state}, by the deadline`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Kills what still runs and removes the working directory (afterAll). */
  async dispose(): Promise<void> {
    await this.process?.stop();
    await rm(this.cwd, { recursive: true, force: true });
  }

  private require(): DaemonProcess {
    if (this.process === undefined) throw new Error(`replica ${this.name} was never started`);
    return this.process;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

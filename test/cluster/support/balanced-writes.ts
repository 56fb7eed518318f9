import { setTimeout as delay } from 'node:timers/promises';
import { type Client, credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type ServiceError, status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../apps/shared/src/grpc/proto-path.js';
import type { ReadinessRotation } from './readiness-rotation.js';

/** One CreateRecord call: when, which replica answered (the peer), and how. */
export interface BalancedWrite {
  readonly writer: number;
  readonly startedAt: number;
  readonly settledAt: number;
  /** `127.0.0.1:<port>` of the replica the call went to; empty when it never reached one. */
  readonly peer: string;
  readonly id?: string;
  readonly code?: status;
  readonly details?: string;
}

/** Codes a client retries: the call did not run, or may be tried again (UNAVAILABLE is the one a draining server gives). */
export const RETRYABLE: ReadonlySet<status> = new Set([status.UNAVAILABLE]);

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (e: ServiceError | null, r: unknown) => void) => { getPeer(): string };

/**
 * `writers` clients on one channel balanced over the rotation, each writing one record after another until
 * `stop()`, every outcome kept with the replica it went to. A refused write is retried after `retryDelayMs`
 * (pacing only) as a client does with a retryable status.
 */
export class BalancedWrites {
  readonly writes: BalancedWrite[] = [];
  private readonly client: Client;
  private running = true;
  private readonly done: Promise<void>;

  constructor(rotation: ReadinessRotation, writers: number, private readonly retryDelayMs = 25) {
    const pkg = loadPackageDefinition(loadSync(protoPath('engined/v1/records.proto'), PROTO_LOADER_OPTIONS));
    const Ctor = (pkg.engined as Record<string, Record<string, ServiceClientConstructor>>).v1!.RecordService!;
    this.client = new Ctor(rotation.target, credentials.createInsecure(), rotation.channelOptions);
    this.done = Promise.all(Array.from({ length: writers }, (_, writer) => this.write(writer))).then(() => undefined);
  }

  get acked(): string[] {
    return this.writes.flatMap((w) => (w.id === undefined ? [] : [w.id]));
  }

  /** Writes answered by `address`, or started after `from` (`Date.now()`). */
  to(address: string, from = 0): BalancedWrite[] {
    return this.writes.filter((w) => w.peer === address && w.startedAt >= from);
  }

  /** Resolves once some write started after `from` was acknowledged by `address`; rejects after `timeoutMs`. */
  async untilServedBy(address: string, from: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.writes.some((w) => w.peer === address && w.startedAt >= from && w.id !== undefined)) {
      if (Date.now() > deadline || !this.running) {
        const recent = this.writes.slice(-5).map((w) => `${w.peer || '-'} ${w.id === undefined ? `code ${w.code} ${w.details}` : 'ok'}`);
        throw new Error(`no write acknowledged by ${address} within ${timeoutMs} ms (${this.writes.length} writes; last: ${recent.join('; ')})`);
      }
      await delay(20);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.client.close();
  }

  private async write(writer: number): Promise<void> {
    const create = (this.client as unknown as Record<string, Unary>).CreateRecord!.bind(this.client);
    for (let i = 0; this.running; i++) {
      const startedAt = Date.now();
      const write = await new Promise<BalancedWrite>((resolve) => {
        const call = create({ name: `w${writer}-${i}`, payload: '{}' }, new Metadata(), { deadline: Date.now() + 15_000 }, (error, value) => {
          const peer = call.getPeer();
          const settledAt = Date.now();
          resolve(
            error
              ? { writer, startedAt, settledAt, peer, code: error.code, details: error.details }
              : { writer, startedAt, settledAt, peer, id: (value as { id: string }).id },
          );
        });
      });
      this.writes.push(write);
      if (write.id === undefined && this.running) await delay(this.retryDelayMs);
    }
  }
}

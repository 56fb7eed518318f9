import { setTimeout as delay } from 'node:timers/promises';
import type { RecordsClient } from '../../app/support/records-client.js';

/** One CreateRecord call of a `WriteLoad`, with its real-time start and end. */
export interface Write {
  writer: number;
  startedAt: number;
  settledAt: number;
  /** The record id when acknowledged. */
  id?: string;
  /** The gRPC code and details when refused. */
  code?: number;
  details?: string;
}

/**
 * `writers` clients, each writing one record after the other (CreateRecord) until `stop()`, every outcome
 * kept with its times. A refused write is retried after `retryDelayMs`: that paces the load (a rejected
 * call returns at once), it synchronises nothing.
 */
export class WriteLoad {
  readonly writes: Write[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly client: RecordsClient,
    writers: number,
    private readonly retryDelayMs = 25,
    private readonly deadlineMs = 15_000,
  ) {
    this.done = Promise.all(Array.from({ length: writers }, (_, writer) => this.write(writer))).then(() => undefined);
  }

  /** Acknowledged record ids. */
  get acked(): string[] {
    return this.writes.flatMap((w) => (w.id === undefined ? [] : [w.id]));
  }

  /** Refused writes. */
  get refused(): Write[] {
    return this.writes.filter((w) => w.id === undefined);
  }

  /**
   * The first write (from index `from` on) that `predicate` accepts, already made or to come; rejects
   * after `timeoutMs` with `what` in the message.
   */
  async first(predicate: (write: Write) => boolean, timeoutMs: number, what: string, from = 0): Promise<Write> {
    const deadline = Date.now() + timeoutMs;
    let index = from;
    for (;;) {
      for (; index < this.writes.length; index++) if (predicate(this.writes[index]!)) return this.writes[index]!;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`WriteLoad: no write ${what} within ${timeoutMs} ms (${this.writes.length} writes so far)`);
      await this.nextWrite(remaining);
    }
  }

  /** Stops after the writes in flight and resolves once they have settled. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async write(writer: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const startedAt = Date.now();
      const outcome = await this.client.call<{ id: string }>('CreateRecord', { name: `w${writer}-${i}`, payload: '{}' }, this.deadlineMs);
      const write: Write = outcome.ok
        ? { writer, startedAt, settledAt: Date.now(), id: outcome.value.id }
        : { writer, startedAt, settledAt: Date.now(), code: outcome.error.code, details: outcome.error.details };
      this.writes.push(write);
      for (const wake of this.waiters) wake();
      if (!outcome.ok && this.running) await delay(this.retryDelayMs);
    }
  }

  /** Resolves at the next write, or after `timeoutMs`. */
  private nextWrite(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }
}

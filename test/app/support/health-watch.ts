import type { ClientReadableStream, StatusObject } from '@grpc/grpc-js';
import type { HealthClient, ServingStatus } from '../../../apps/engined/src/grpc/grpc-health.client.js';

/**
 * A grpc.health.v1 Watch stream that records every status it receives; `next(status)`
 * resolves when that status arrives (or has arrived since the last `next`).
 */
export class HealthWatch {
  readonly seen: ServingStatus[] = [];
  /** When each status of `seen` arrived (`Date.now()`). */
  readonly seenAt: number[] = [];
  /** Settles with the stream's final status (OK when the server ends it, CANCELLED after `cancel()`). */
  readonly ended: Promise<StatusObject>;
  private readonly stream: ClientReadableStream<{ status: ServingStatus }>;
  private readonly waiters: { status: ServingStatus; resolve: (at: number) => void }[] = [];
  private cursor = 0;

  constructor(client: HealthClient, service: string) {
    const watch = (client as unknown as { Watch(request: { service: string }): ClientReadableStream<{ status: ServingStatus }> }).Watch;
    this.stream = watch.call(client, { service });
    this.stream.on('data', ({ status }) => {
      this.seen.push(status);
      this.seenAt.push(Date.now());
      this.settle();
    });
    // Cancelling ends the stream with CANCELLED; nothing to report.
    this.stream.on('error', () => undefined);
    this.ended = new Promise((resolve) => this.stream.on('status', resolve));
  }

  /** Resolves, with the time it arrived (`Date.now()`), once `status` is received after the previously awaited one. */
  next(status: ServingStatus): Promise<number> {
    return new Promise((resolve) => {
      this.waiters.push({ status, resolve });
      this.settle();
    });
  }

  cancel(): void {
    this.stream.cancel();
  }

  private settle(): void {
    while (this.waiters.length > 0) {
      const index = this.seen.indexOf(this.waiters[0]!.status, this.cursor);
      if (index < 0) return;
      this.cursor = index + 1;
      this.waiters.shift()!.resolve(this.seenAt[index]!);
    }
  }
}

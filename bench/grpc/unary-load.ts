import type { ServiceError } from '@grpc/grpc-js';
import type { LatencySamples } from '../latency.js';
import type { RecordMessage, RecordServiceClient } from './protos.js';

/** Calls kept in flight by the client. */
export const IN_FLIGHT = 32;

export interface LoadRound {
  readonly calls: number;
  readonly elapsedMs: number;
}

/**
 * `GetRecord` for `durationMs`, `IN_FLIGHT` calls at a time (each worker sends its next call when its
 * previous one answers), over the ids in turn. Every latency goes into `samples`; every answer must be
 * the record asked for. Ends when the last call sent before the deadline has answered.
 */
export async function getRecordLoad(client: RecordServiceClient, ids: readonly string[], durationMs: number, samples: LatencySamples): Promise<LoadRound> {
  let calls = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const id = ids[calls++ % ids.length]!;
      const sent = performance.now();
      const record = await getRecord(client, id);
      samples.add(performance.now() - sent);
      if (record.id !== id) throw new Error(`GetRecord(${id}) answered record ${record.id}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { calls, elapsedMs: performance.now() - started };
}

function getRecord(client: RecordServiceClient, id: string): Promise<RecordMessage> {
  return new Promise((resolve, reject) => {
    client.GetRecord({ id }, (error: ServiceError | null, record?: RecordMessage) => {
      if (error) reject(new Error(`GetRecord(${id}): ${error.code} ${error.details}`));
      else resolve(record!);
    });
  });
}

/** Resolves once the client's channel is connected. */
export function connected(client: RecordServiceClient, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())));
}

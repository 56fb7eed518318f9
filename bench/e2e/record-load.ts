import type { ServiceError } from '@grpc/grpc-js';
import type { LatencySamples } from '../latency.js';
import type { RecordMessage, RecordServiceClient } from '../grpc/protos.js';

/** What a load round sends: reads (GetRecord), writes (CreateRecord), or 90 % reads and 10 % writes. */
export type Workload = 'read' | 'write' | 'mixed';

/** A call of a round takes longer than this: it fails (DEADLINE_EXCEEDED) and counts as an error. */
const DEADLINE_MS = 10_000;

export interface RecordRound {
  readonly calls: number;
  /** Calls that failed, or answered something else than asked for. */
  readonly errors: number;
  readonly elapsedMs: number;
  /** The first failure, to be shown. */
  readonly firstError?: string;
}

/**
 * `workload` for `durationMs`, `inFlight` calls at a time (each worker sends its next call when its
 * previous one answers). Reads go over `ids` in turn; in `mixed`, every tenth call is a write. Every
 * latency goes into `samples`; a failed call counts as an error (the round goes on). Ends when the last
 * call sent before the deadline has answered.
 */
export async function recordLoad(
  client: RecordServiceClient,
  workload: Workload,
  ids: readonly string[],
  inFlight: number,
  durationMs: number,
  samples: LatencySamples,
): Promise<RecordRound> {
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const n = calls++;
      const write = workload === 'write' || (workload === 'mixed' && n % 10 === 9);
      const sent = performance.now();
      try {
        if (write) {
          const name = `load ${n}`;
          const record = await createRecord(client, name, `{"n":${n}}`);
          if (record.name !== name) throw new Error(`CreateRecord(${name}) answered ${record.name}`);
        } else {
          const id = ids[n % ids.length]!;
          const record = await getRecord(client, id);
          if (record.id !== id) throw new Error(`GetRecord(${id}) answered record ${record.id}`);
        }
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
      samples.add(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { calls, errors, elapsedMs: performance.now() - started, ...(firstError === undefined ? {} : { firstError }) };
}

/** `count` records created one after another; their ids. */
export async function seedRecords(client: RecordServiceClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await createRecord(client, `seed ${i}`, JSON.stringify({ seed: i }))).id);
  return ids;
}

export function createRecord(client: RecordServiceClient, name: string, payload: string): Promise<RecordMessage> {
  return new Promise((resolve, reject) =>
    client.CreateRecord({ name, payload }, { deadline: Date.now() + DEADLINE_MS }, (error, record) =>
      error ? reject(new Error(`CreateRecord: ${error.code} ${error.details}`)) : resolve(record!),
    ),
  );
}

function getRecord(client: RecordServiceClient, id: string): Promise<RecordMessage> {
  return new Promise((resolve, reject) => {
    client.GetRecord({ id }, (error: ServiceError | null, record?: RecordMessage) => (error ? reject(new Error(`GetRecord(${id}): ${error.code} ${error.details}`)) : resolve(record!)));
  });
}

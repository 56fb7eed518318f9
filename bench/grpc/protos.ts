import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Client, type ClientReadableStream, credentials, loadPackageDefinition, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** The repository root: the first folder above this file holding `proto/engined/v1/records.proto` (works from `bench/` and `dist/bench/`). */
export const REPO_ROOT = findRepoRoot();
export const PROTO_DIR = join(REPO_ROOT, 'proto');
export const RECORDS_PROTO = join(PROTO_DIR, 'engined', 'v1', 'records.proto');
const HEALTH_PROTO = join(PROTO_DIR, 'grpc', 'health', 'v1', 'health.proto');

/** proto-loader options of the sample daemon, for servers and clients alike: camelCase fields, defaults filled in. */
export const PROTO_LOADER_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true } as const;

/** `engined.v1.Record` as proto-loader gives it. */
export interface RecordMessage {
  id: string;
  name: string;
  payload: string;
  createTime: string;
}

type Callback<T> = (error: ServiceError | null, response?: T) => void;

/** The unary calls the benchmarks make on `engined.v1.RecordService`. */
export interface RecordServiceClient extends Client {
  GetRecord(request: { id: string }, callback: Callback<RecordMessage>): unknown;
  CreateRecord(request: { name: string; payload: string }, options: { deadline: number }, callback: Callback<RecordMessage>): unknown;
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, by name. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthServiceClient extends Client {
  Check(request: { service: string }, options: { deadline: number }, callback: Callback<{ status: ServingStatus }>): unknown;
  Watch(request: { service: string }, options?: { deadline?: number }): ClientReadableStream<{ status: ServingStatus }>;
}

let recordService: ServiceClientConstructor | undefined;
let healthService: ServiceClientConstructor | undefined;

/** A RecordService client on its own channel; `options` are grpc-js channel options. */
export function recordServiceClient(target: string, options: Record<string, unknown> = {}): RecordServiceClient {
  recordService ??= serviceConstructor(RECORDS_PROTO, ['engined', 'v1', 'RecordService']);
  return new recordService(target, credentials.createInsecure(), options) as unknown as RecordServiceClient;
}

/** A grpc.health.v1 client on its own channel; `options` are grpc-js channel options. */
export function healthServiceClient(target: string, options: Record<string, unknown> = {}): HealthServiceClient {
  healthService ??= serviceConstructor(HEALTH_PROTO, ['grpc', 'health', 'v1', 'Health']);
  return new healthService(target, credentials.createInsecure(), options) as unknown as HealthServiceClient;
}

/** `Check(service)` with a deadline. */
export function checkHealth(client: HealthServiceClient, service: string, timeoutMs = 5_000): Promise<ServingStatus> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response?.status ?? 'UNKNOWN')));
  });
}

function serviceConstructor(file: string, path: readonly string[]): ServiceClientConstructor {
  let node: unknown = loadPackageDefinition(loadSync(file, { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTO_DIR] }));
  for (const part of path) node = (node as Record<string, unknown>)[part];
  return node as ServiceClientConstructor;
}

function findRepoRoot(): string {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'engined', 'v1', 'records.proto'))) return dir;
    if (dirname(dir) === dir) throw new Error(`proto/engined/v1/records.proto not found above ${import.meta.dirname}`);
  }
}

import { type ChannelCredentials, type Client, credentials, loadPackageDefinition, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../shared/src/grpc/proto-path.js';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, by name. */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** A channel as `Client.getChannel()` returns it. */
type Channel = ReturnType<Client['getChannel']>;

type Callback<T> = (error: ServiceError | null, response?: T) => void;

/** A `grpc.health.v1.Health` client (Check and List; Watch is left to streaming clients). */
export interface HealthClient extends Client {
  Check(request: { service: string }, options: { deadline: number }, callback: Callback<{ status: ServingStatus }>): unknown;
  List(request: object, options: { deadline: number }, callback: Callback<{ statuses: Record<string, { status: ServingStatus }> }>): unknown;
}

let healthConstructor: ServiceClientConstructor | undefined;

/**
 * A health client for `target`; pass `channel` to share another client's channel (one TCP
 * connection, and rebuilding that channel rebuilds both).
 */
export function createHealthClient(target: string, channel?: Channel, creds: ChannelCredentials = credentials.createInsecure()): HealthClient {
  if (!healthConstructor) {
    const pkg = loadPackageDefinition(loadSync(protoPath('grpc/health/v1/health.proto'), PROTO_LOADER_OPTIONS));
    healthConstructor = (pkg.grpc as Record<string, Record<string, Record<string, ServiceClientConstructor>>>).health!.v1!.Health!;
  }
  return new healthConstructor(target, creds, channel ? { channelOverride: channel } : {}) as unknown as HealthClient;
}

/** `Check(service)` with a deadline; rejects with the gRPC error (NOT_FOUND for an unknown service). */
export function checkHealth(client: HealthClient, service: string, timeoutMs: number): Promise<ServingStatus> {
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) =>
      error ? reject(error) : resolve(response?.status ?? 'UNKNOWN'),
    );
  });
}

/** `List()`: every published service with its status. */
export function listHealth(client: HealthClient, timeoutMs: number): Promise<Record<string, ServingStatus>> {
  return new Promise((resolve, reject) => {
    client.List({}, { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (error) return reject(error);
      const statuses: Record<string, ServingStatus> = {};
      for (const [service, value] of Object.entries(response?.statuses ?? {})) statuses[service] = value.status;
      resolve(statuses);
    });
  });
}

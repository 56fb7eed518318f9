import { type Client, credentials, loadPackageDefinition, Metadata, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoPath } from '../../../apps/shared/src/grpc/proto-path.js';

/** The outcome of one unary call: the response, or the gRPC error. */
export type Outcome<T = Record<string, unknown>> = { ok: true; value: T } | { ok: false; error: ServiceError };

type Unary = (request: unknown, metadata: Metadata, options: { deadline: number }, callback: (e: ServiceError | null, r: unknown) => void) => void;

/** A test client for `engined.v1.RecordService` that returns outcomes instead of throwing. */
export class RecordsClient {
  readonly raw: Client;

  constructor(target: string) {
    const pkg = loadPackageDefinition(loadSync(protoPath('engined/v1/records.proto'), PROTO_LOADER_OPTIONS));
    const Ctor = (pkg.engined as Record<string, Record<string, ServiceClientConstructor>>).v1!.RecordService!;
    this.raw = new Ctor(target, credentials.createInsecure());
  }

  call<T = Record<string, unknown>>(method: string, request: unknown, deadlineMs = 5_000): Promise<Outcome<T>> {
    const fn = (this.raw as unknown as Record<string, Unary>)[method]!.bind(this.raw);
    return new Promise((resolve) => {
      fn(request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, value) =>
        resolve(error ? { ok: false, error } : { ok: true, value: value as T }),
      );
    });
  }

  /** Like `call`, but fails the test on an error. */
  async ok<T = Record<string, unknown>>(method: string, request: unknown): Promise<T> {
    const outcome = await this.call<T>(method, request);
    if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.code} ${outcome.error.details}`);
    return outcome.value;
  }

  close(): void {
    this.raw.close();
  }
}

import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { GRPC_HEALTH_SERVICE_NAME, grpcHealthServiceDefinition } from './health.descriptor.js';

const PROTO = join(import.meta.dirname, '../../../../proto/grpc/health/v1/health.proto');

describe('the embedded grpc.health.v1 descriptor', () => {
  it('matches proto/grpc/health/v1/health.proto: methods, streaming and message types', () => {
    const fromFile = loadSync(PROTO, { keepCase: true, defaults: true });
    const service = fromFile[GRPC_HEALTH_SERVICE_NAME] as unknown as Record<string, Record<string, unknown>>;
    const embedded = grpcHealthServiceDefinition() as unknown as Record<string, Record<string, unknown>>;

    expect(Object.keys(embedded).toSorted()).toEqual(Object.keys(service).toSorted());
    for (const [name, method] of Object.entries(service)) {
      const mine = embedded[name];
      expect([mine.path, mine.requestStream, mine.responseStream]).toEqual([
        method.path,
        method.requestStream,
        method.responseStream,
      ]);
      // The DescriptorProto of each message: fields, numbers, types, nested enum values.
      expect((mine.requestType as { type: unknown }).type).toEqual((method.requestType as { type: unknown }).type);
      expect((mine.responseType as { type: unknown }).type).toEqual((method.responseType as { type: unknown }).type);
    }
  });

  it('encodes what the proto file decodes', () => {
    const fromFile = loadSync(PROTO, { keepCase: true, enums: String, defaults: true });
    const list = (fromFile[GRPC_HEALTH_SERVICE_NAME] as unknown as Record<string, { responseDeserialize(b: Buffer): unknown }>)
      .List;
    const bytes = (
      grpcHealthServiceDefinition().List as unknown as { responseSerialize(v: unknown): Buffer }
    ).responseSerialize({ statuses: { '': { status: 1 }, db: { status: 2 } } });
    expect(list.responseDeserialize(bytes)).toEqual({
      statuses: { '': { status: 'SERVING' }, db: { status: 'NOT_SERVING' } },
    });
  });
});

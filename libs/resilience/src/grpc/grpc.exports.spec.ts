import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import * as grpcApi from './index.js';

/** What a gRPC client user needs from `@engined/resilience/grpc`. */
const GRPC_CLIENT_API = ['breakerInterceptor', 'grpcStatusKind', 'grpcStatusClassification', 'GrpcStatusClassifier', 'grpcRetryOn', 'grpcCodeOfError', 'GrpcStatusError'];

describe('@engined/resilience/grpc (gRPC client part)', () => {
  it.each(GRPC_CLIENT_API)('exports %s by name', (name) => {
    expect((grpcApi as Record<string, unknown>)[name]).toBeDefined();
  });

  it('is not reachable from the root entry, which must not load @grpc/grpc-js for it', () => {
    const root = readFileSync(new URL('../index.ts', import.meta.url), 'utf8');
    expect(root).not.toMatch(/grpc-client\//);
    for (const file of ['retry/retry.policy.ts', 'bulkhead/bulkhead.policy.ts', 'composition/pipeline.ts', 'composition/composition.explorer.ts']) {
      expect(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')).not.toMatch(/@grpc\/grpc-js|grpc-client\//);
    }
  });
});

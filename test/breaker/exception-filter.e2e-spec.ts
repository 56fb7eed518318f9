import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Controller, Get, type INestApplication, type INestMicroservice, Param } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GrpcMethod, Transport, type GrpcOptions } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { BreakerExceptionFilter, RETRY_AFTER_MS_METADATA } from '@engined/resilience';
import { freeLoopbackPort } from '../grpc-health/health-client.js';

const PROTO_PATH = join(import.meta.dirname, '../fixtures/breaker-test.proto');

/**
 * The breaker errors as another copy of @engined/resilience builds them (two versions in node_modules):
 * different classes, the same brands (`Symbol.for`) the `is…Error` guards check.
 */
class SecondCopyOpenError extends Error {
  constructor(
    readonly breaker: string,
    readonly state: string,
    readonly retryAfterMs: number,
  ) {
    super(`Circuit breaker "${breaker}" is ${state}; retry after ${retryAfterMs} ms`);
  }
}
Object.defineProperty(SecondCopyOpenError.prototype, Symbol.for('@engined/resilience/CircuitBreakerOpenError'), { value: true });

class SecondCopyTimeoutError extends Error {
  constructor(
    readonly breaker: string,
    readonly timeoutMs: number,
  ) {
    super(`Circuit breaker "${breaker}": call timed out after ${timeoutMs} ms`);
  }
}
Object.defineProperty(SecondCopyTimeoutError.prototype, Symbol.for('@engined/resilience/CircuitBreakerTimeoutError'), { value: true });

/** Named like the real thing, but without the brand: not a breaker error. */
class LookAlikeError extends Error {
  override readonly name = 'CircuitBreakerOpenError';
  readonly retryAfterMs = 1_000;
}

function throwFor(id: string): never {
  switch (id) {
    case 'open':
      throw new SecondCopyOpenError('inventory', 'OPEN', 2_500);
    case 'timeout':
      throw new SecondCopyTimeoutError('inventory', 800);
    default:
      throw new LookAlikeError('not from a breaker');
  }
}

@Controller()
class FailingHttpController {
  @Get('items/:id')
  get(@Param('id') id: string): never {
    throwFor(id);
  }
}

@Controller()
class FailingGrpcController {
  @GrpcMethod('Records', 'Get')
  get(request: { id: string }): never {
    throwFor(request.id);
  }
}

describe('BreakerExceptionFilter with errors from a second copy of the library', () => {
  describe('over HTTP (APP_FILTER)', () => {
    let app: INestApplication;
    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        controllers: [FailingHttpController],
        providers: [{ provide: APP_FILTER, useClass: BreakerExceptionFilter }],
      }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });
    afterAll(async () => {
      await app.close();
    });

    it('answers an open circuit 503 with Retry-After, and a timeout 504', async () => {
      const open = await supertest(app.getHttpServer()).get('/items/open').expect(503);
      expect(open.headers['retry-after']).toBe('3');
      expect(open.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('"inventory"') });
      const timeout = await supertest(app.getHttpServer()).get('/items/timeout').expect(504);
      expect(timeout.headers['retry-after']).toBeUndefined();
    });

    it('leaves an error that only carries the name to Nest (500)', async () => {
      await supertest(app.getHttpServer()).get('/items/other').expect(500);
    });
  });

  describe('over gRPC (@nestjs/microservices)', () => {
    let app: INestMicroservice;
    let client: grpc.Client & { Get(request: { id: string }, options: grpc.CallOptions, callback: grpc.requestCallback<unknown>): void };

    beforeAll(async () => {
      const port = await freeLoopbackPort();
      const moduleRef = await Test.createTestingModule({ controllers: [FailingGrpcController] }).compile();
      app = moduleRef.createNestMicroservice<GrpcOptions>({
        transport: Transport.GRPC,
        options: { package: 'breakertest', protoPath: PROTO_PATH, url: `127.0.0.1:${port}` },
        logger: false,
      });
      app.useGlobalFilters(new BreakerExceptionFilter());
      await app.listen();
      const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, { keepCase: true })) as unknown as {
        breakertest: { Records: grpc.ServiceClientConstructor };
      };
      client = new loaded.breakertest.Records(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
    });
    afterAll(async () => {
      client.close();
      await app.close();
    });

    const call = (id: string) =>
      new Promise<grpc.ServiceError>((resolve, reject) =>
        client.Get({ id }, { deadline: Date.now() + 5_000 }, (error) => (error ? resolve(error) : reject(new Error('expected an error')))),
      );

    it('answers an open circuit UNAVAILABLE with retry-after-ms, and a timeout DEADLINE_EXCEEDED', async () => {
      const open = await call('open');
      expect(open.code).toBe(grpc.status.UNAVAILABLE);
      expect(open.details).toContain('"inventory"');
      expect(open.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual(['2500']);
      expect((await call('timeout')).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    });

    it('leaves an error that only carries the name to Nest (UNKNOWN)', async () => {
      const other = await call('other');
      expect(other.code).toBe(grpc.status.UNKNOWN);
      expect(other.metadata.get(RETRY_AFTER_MS_METADATA)).toEqual([]);
    });
  });
});

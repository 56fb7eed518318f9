import { describe, expect, it } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import type { ContextType, Type } from '@nestjs/common';
import { selectExceptionFilterMetadata } from '@nestjs/common/internal';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { lastValueFrom, type Observable } from 'rxjs';
import { GRPC_RETRY_PUSHBACK_METADATA } from '../retry/retry-after.js';
import { BreakerExceptionFilter, RETRY_AFTER_MS_METADATA } from './breaker-exception.filter.js';
import { BulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { CallTimeoutError } from '../timeout/errors/call-timeout.error.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { CircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

const FILTER_CATCH_EXCEPTIONS = '__filterCatchExceptions__';

function host(type: ContextType, args: unknown[]): ExecutionContextHost {
  const context = new ExecutionContextHost(args);
  context.setType(type);
  return context;
}

/** What the RPC side of the filter hands to the transport. */
async function rpcAnswer(result: unknown): Promise<Record<string, unknown>> {
  return lastValueFrom(result as Observable<never>).then(
    () => {
      throw new Error('expected an error');
    },
    (error: unknown) => error as Record<string, unknown>,
  );
}

/** A Node-style response (what Express extends), recording what the filter wrote. */
function nodeResponse() {
  const headers = new Map<string, string>();
  return {
    headers,
    statusCode: 200,
    body: '',
    setHeader(name: string, value: string) {
      headers.set(name.toLowerCase(), value);
    },
    end(chunk: string) {
      this.body = chunk;
    },
  };
}

const open = (retryAfterMs: number, state = CircuitState.OPEN) => new CircuitBreakerOpenError('db', state, retryAfterMs);
const filter = new BreakerExceptionFilter();

describe('BreakerExceptionFilter', () => {
  it("is chosen by Nest for the library's rejections only, recognised by their guards", () => {
    const caught = Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, BreakerExceptionFilter) as Type[];
    const filters = [{ exceptionMetatypes: caught, func: () => undefined }];
    const timeout = new CircuitBreakerTimeoutError('db', 500);
    const branded = Object.defineProperty(new Error('x'), Symbol.for('@engined/resilience/CircuitBreakerOpenError'), { value: true });
    const rejections = [open(1), timeout, branded, new BulkheadRejectedError('db', 'full', 1, 0), new CallTimeoutError('q', 250)];
    for (const error of rejections) expect(selectExceptionFilterMetadata(filters, error)).toBe(filters[0]);
    for (const error of [new Error('x'), Object.assign(new Error('x'), { name: 'CircuitBreakerOpenError' }), null, 'open']) {
      expect(selectExceptionFilterMetadata(filters, error)).toBeUndefined();
    }
  });

  it('WebSocket: emits an exception event to the client, as Nest\'s own WebSocket filter does', () => {
    const emitted: unknown[][] = [];
    const client = { emit: (...args: unknown[]) => emitted.push(args) };
    filter.catch(open(1_500), host('ws', [client, { id: 7 }, 'records.get']));
    filter.catch(new CircuitBreakerTimeoutError('db', 500), host('ws', [client, { id: 8 }, 'records.get']));
    expect(emitted).toEqual([
      ['exception', { status: 'error', code: 'CIRCUIT_OPEN', message: expect.stringContaining('"db"'), retryAfterMs: 1_500, cause: { pattern: 'records.get', data: { id: 7 } } }],
      ['exception', { status: 'error', code: 'CIRCUIT_TIMEOUT', message: expect.stringContaining('500 ms'), cause: { pattern: 'records.get', data: { id: 8 } } }],
    ]);
  });

  it('GraphQL and other contexts: returns the error as it is, for the transport to report', () => {
    const error = open(1);
    expect(filter.catch(error, host('graphql' as ContextType, [{}, {}, {}, {}]))).toBe(error);
  });

  it('gRPC: a full bulkhead is RESOURCE_EXHAUSTED without a retry hint; a call timeout is DEADLINE_EXCEEDED', async () => {
    const full = await rpcAnswer(filter.catch(new BulkheadRejectedError('db', 'full', 4, 8), host('rpc', [{}, new Metadata(), {}])));
    expect(full).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: 'Bulkhead "db" is full (4 running, 8 queued)' });
    expect((full.metadata as Metadata).get(RETRY_AFTER_MS_METADATA)).toEqual([]);
    const timeout = await rpcAnswer(filter.catch(new CallTimeoutError('q', 250), host('rpc', [{}, new Metadata(), {}])));
    expect(timeout).toMatchObject({ code: status.DEADLINE_EXCEEDED, details: expect.stringContaining('250 ms') });
    const plain = await rpcAnswer(filter.catch(new BulkheadRejectedError('db', 'queue_timeout', 1, 1), host('rpc', [{ id: 1 }, { pattern: 'x' }])));
    expect(plain).toEqual({ status: 'error', code: 'BULKHEAD_FULL', message: expect.stringContaining('queue timeout') });
  });

  it('HTTP: a full bulkhead is 503 without Retry-After; a call timeout is 504', () => {
    const response = nodeResponse();
    filter.catch(new BulkheadRejectedError('db', 'full', 4, 0), host('http', [{}, response, () => undefined]));
    expect(response.statusCode).toBe(503);
    expect(response.headers.has('retry-after')).toBe(false);
    expect(JSON.parse(response.body)).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringContaining('is full') });
    const timedOut = nodeResponse();
    filter.catch(new CallTimeoutError('q', 250), host('http', [{}, timedOut, () => undefined]));
    expect(timedOut.statusCode).toBe(504);
  });

  it('gRPC: an open circuit is UNAVAILABLE with retry-after-ms and grpc-retry-pushback-ms (gRFC A6) in the trailing metadata', async () => {
    const error = await rpcAnswer(filter.catch(open(1_234.2), host('rpc', [{}, new Metadata(), {}])));
    expect(error).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringContaining('"db"') });
    expect(error.metadata).toBeInstanceOf(Metadata);
    expect((error.metadata as Metadata).get(RETRY_AFTER_MS_METADATA)).toEqual(['1235']);
    expect((error.metadata as Metadata).get(GRPC_RETRY_PUSHBACK_METADATA)).toEqual(['1235']);
  });

  it('gRPC: a FORCED_OPEN breaker gives no retry hint, and a negative pushback (A6: do not retry); a timeout is DEADLINE_EXCEEDED', async () => {
    const forced = await rpcAnswer(filter.catch(open(-1, CircuitState.FORCED_OPEN), host('rpc', [{}, new Metadata(), {}])));
    expect(forced.code).toBe(status.UNAVAILABLE);
    expect((forced.metadata as Metadata).get(RETRY_AFTER_MS_METADATA)).toEqual([]);
    expect((forced.metadata as Metadata).get(GRPC_RETRY_PUSHBACK_METADATA)).toEqual(['-1']);

    const timeout = await rpcAnswer(filter.catch(new CircuitBreakerTimeoutError('db', 500), host('rpc', [{}, new Metadata(), {}])));
    expect(timeout).toMatchObject({ code: status.DEADLINE_EXCEEDED, details: expect.stringContaining('500 ms') });
  });

  it('other RPC transports get a plain error object', async () => {
    const error = await rpcAnswer(filter.catch(open(2_000), host('rpc', [{ id: 1 }, { pattern: 'x' }])));
    expect(error).toEqual({ status: 'error', code: 'CIRCUIT_OPEN', message: expect.stringContaining('"db"'), retryAfterMs: 2_000 });
  });

  it('HTTP without an adapter: 503 with Retry-After rounded up to whole seconds', () => {
    const response = nodeResponse();
    filter.catch(open(2_001), host('http', [{}, response, () => undefined]));
    expect(response.statusCode).toBe(503);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(JSON.parse(response.body)).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
  });

  it('HTTP without an adapter: a FORCED_OPEN breaker is 503 without Retry-After', () => {
    const response = nodeResponse();
    filter.catch(open(-1, CircuitState.FORCED_OPEN), host('http', [{}, response, () => undefined]));
    expect(response.statusCode).toBe(503);
    expect(response.headers.has('retry-after')).toBe(false);
  });

  it('HTTP: a timeout is 504 without Retry-After', () => {
    const response = nodeResponse();
    filter.catch(new CircuitBreakerTimeoutError('db', 500), host('http', [{}, response, () => undefined]));
    expect(response.statusCode).toBe(504);
    expect(response.headers.has('retry-after')).toBe(false);
  });
});

import { Catch, HttpStatus, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { GRPC_RETRY_PUSHBACK_METADATA } from '../retry/retry-after.js';
import { type BulkheadRejectedError, isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { type CallTimeoutError, isCallTimeoutError } from '../timeout/errors/call-timeout.error.js';
import { type CircuitBreakerOpenError, isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { type CircuitBreakerTimeoutError, isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

type BreakerError = CircuitBreakerOpenError | CircuitBreakerTimeoutError | BulkheadRejectedError | CallTimeoutError;

/**
 * What `@Catch()` is given instead of the error classes. Nest picks a filter with `exception instanceof Type`,
 * and `instanceof` asks `Symbol.hasInstance`: this one answers with `guard`, and the guards recognise the
 * errors of every copy of the library (two versions in node_modules), not only this copy's classes.
 */
function caughtBy(guard: (value: unknown) => boolean): abstract new () => unknown {
  abstract class GuardMatcher {
    static [Symbol.hasInstance](value: unknown): boolean {
      return guard(value);
    }
  }
  return GuardMatcher;
}

/**
 * Trailing-metadata key carrying `retryAfterMs` on gRPC `UNAVAILABLE` answers, next to gRFC A6's
 * `grpc-retry-pushback-ms` (`GRPC_RETRY_PUSHBACK_METADATA`), which grpc-js' own retries obey.
 */
export const RETRY_AFTER_MS_METADATA = 'retry-after-ms';

// grpc.StatusCode values, spelled here so the root entry needs neither grpc-js nor @nestjs/microservices.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

/** The parts of a grpc-js `Metadata` the filter uses (the incoming call's metadata gives the class). */
interface GrpcMetadataLike {
  set(key: string, value: string): void;
  getMap(): unknown;
  toHttp2Headers(): unknown;
}

/**
 * Maps the library's rejections to transport answers; every other error passes to the next filter untouched.
 * - gRPC: open circuit → `UNAVAILABLE` (14) with `retry-after-ms` and gRFC A6's `grpc-retry-pushback-ms` (the
 *   same ms) in the trailing metadata, so a grpc-js client with a `retryPolicy` service config waits exactly that
 *   long before its retry; FORCED_OPEN → `grpc-retry-pushback-ms: -1` only (A6: do not retry). Breaker or call
 *   timeout → `DEADLINE_EXCEEDED` (4); full bulkhead → `RESOURCE_EXHAUSTED` (8), no hint (the client's backoff applies).
 * - HTTP: open circuit → 503 with `Retry-After` (seconds, rounded up); timeout → 504; full bulkhead → 503
 *   without `Retry-After` (the server is overloaded, not the client over a quota: 429 would tell the client to
 *   slow down by itself; nothing predicts when a slot frees, so no hint).
 * - Other RPC transports: an error object `{ status: 'error', code, message, retryAfterMs? }` (`code`:
 *   `CIRCUIT_OPEN`, `CIRCUIT_TIMEOUT`, `CALL_TIMEOUT` or `BULKHEAD_FULL`).
 * - WebSocket: that object, plus `cause: { pattern, data }`, emitted to the client as an `exception` event,
 *   as Nest's own WebSocket filter does.
 * - GraphQL: the error is returned as it is (GraphQL reports it in `errors`).
 * Errors are recognised with their `is…Error` guards, so those thrown by another copy of the library are
 * mapped too.
 * The retry hint is left out when the breaker is FORCED_OPEN (only an operator closes it); gRPC then says
 * "do not retry" with a negative pushback.
 *
 * Register it globally: `app.useGlobalFilters(new BreakerExceptionFilter(app.get(HttpAdapterHost)))`,
 * or `{ provide: APP_FILTER, useClass: BreakerExceptionFilter }` (for a hybrid app's gRPC side, pass
 * `{ inheritAppConfig: true }` to `connectMicroservice`, or `useGlobalFilters` on the microservice).
 */
@Catch(
  caughtBy(isCircuitBreakerOpenError),
  caughtBy(isCircuitBreakerTimeoutError),
  caughtBy(isBulkheadRejectedError),
  caughtBy(isCallTimeoutError),
)
export class BreakerExceptionFilter implements ExceptionFilter<BreakerError> {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: BreakerError, host: ArgumentsHost): unknown {
    switch (host.getType()) {
      case 'http':
        return this.replyHttp(error, host);
      case 'rpc':
        return this.rpcError(error, host);
      case 'ws':
        return this.emitWs(error, host);
      default:
        // GraphQL and other external contexts: the resolver's error is reported as it is.
        return error;
    }
  }

  private rpcError(error: BreakerError, host: ArgumentsHost): Observable<never> {
    const incoming = host.switchToRpc().getContext<unknown>();
    const retryAfterMs = retryAfterOf(error);
    const kind = kindOf(error);
    if (isGrpcMetadata(incoming)) {
      // The shape of Nest's `GrpcException.getError()`, which its gRPC transport turns into the status.
      const code = GRPC_CODES[kind];
      const metadata = new (incoming.constructor as new () => GrpcMetadataLike)();
      if (retryAfterMs !== undefined) {
        metadata.set(RETRY_AFTER_MS_METADATA, String(retryAfterMs));
        metadata.set(GRPC_RETRY_PUSHBACK_METADATA, String(retryAfterMs));
      } else if (kind === 'open') metadata.set(GRPC_RETRY_PUSHBACK_METADATA, '-1');
      return throwError(() => ({ code, message: error.message, details: error.message, metadata }));
    }
    return throwError(() => errorPayload(error));
  }

  /** As Nest's `BaseWsExceptionFilter` answers: an `exception` event to the client, with the message that caused it. */
  private emitWs(error: BreakerError, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const client = ws.getClient<{ emit?: (event: string, payload: unknown) => unknown }>();
    if (typeof client?.emit !== 'function') return;
    client.emit('exception', { ...errorPayload(error), cause: { pattern: ws.getPattern(), data: ws.getData<unknown>() } });
  }

  private replyHttp(error: BreakerError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<unknown>();
    const kind = kindOf(error);
    const timedOut = kind === 'timeout' || kind === 'callTimeout';
    const status = timedOut ? HttpStatus.GATEWAY_TIMEOUT : HttpStatus.SERVICE_UNAVAILABLE;
    const body = { statusCode: status, message: error.message, error: timedOut ? 'Gateway Timeout' : 'Service Unavailable' };
    const retryAfterMs = retryAfterOf(error);
    const retryAfter = retryAfterMs === undefined ? undefined : String(Math.ceil(retryAfterMs / 1000));
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter !== undefined) {
      if (retryAfter !== undefined) adapter.setHeader(response, 'Retry-After', retryAfter);
      adapter.reply(response, body, status);
      return;
    }
    replyWithNodeResponse(response, status, body, retryAfter);
  }
}

/** What a caught error is, for the transport: an open circuit, a timeout (breaker or call), a full bulkhead. */
type RejectionKind = 'open' | 'timeout' | 'bulkhead' | 'callTimeout';

function kindOf(error: BreakerError): RejectionKind {
  if (isCircuitBreakerOpenError(error)) return 'open';
  if (isBulkheadRejectedError(error)) return 'bulkhead';
  return isCallTimeoutError(error) ? 'callTimeout' : 'timeout';
}

const GRPC_CODES: Record<RejectionKind, number> = {
  open: GRPC_UNAVAILABLE,
  timeout: GRPC_DEADLINE_EXCEEDED,
  callTimeout: GRPC_DEADLINE_EXCEEDED,
  bulkhead: GRPC_RESOURCE_EXHAUSTED,
};

const RPC_CODES: Record<RejectionKind, string> = { open: 'CIRCUIT_OPEN', timeout: 'CIRCUIT_TIMEOUT', callTimeout: 'CALL_TIMEOUT', bulkhead: 'BULKHEAD_FULL' };

/** The answer of transports without status codes of their own (RPC other than gRPC, WebSocket). */
function errorPayload(error: BreakerError): { status: 'error'; code: string; message: string; retryAfterMs?: number } {
  const retryAfterMs = retryAfterOf(error);
  return {
    status: 'error',
    code: RPC_CODES[kindOf(error)],
    message: error.message,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

/** Whole milliseconds until a retry may succeed, or undefined when unknown (timeouts, FORCED_OPEN). */
function retryAfterOf(error: BreakerError): number | undefined {
  if (!isCircuitBreakerOpenError(error) || !(error.retryAfterMs >= 0) || !Number.isFinite(error.retryAfterMs)) return undefined;
  return Math.ceil(error.retryAfterMs);
}

function isGrpcMetadata(value: unknown): value is GrpcMetadataLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<GrpcMetadataLike>).set === 'function' &&
    typeof (value as Partial<GrpcMetadataLike>).getMap === 'function' &&
    typeof (value as Partial<GrpcMetadataLike>).toHttp2Headers === 'function'
  );
}

/** Without an adapter (filter built with `new` and no `HttpAdapterHost`): Node's response API, which Express extends. */
function replyWithNodeResponse(response: unknown, status: number, body: object, retryAfter: string | undefined): void {
  const raw = ((response as { raw?: unknown }).raw ?? response) as {
    statusCode: number;
    setHeader(name: string, value: string): void;
    end(chunk: string): void;
  };
  raw.statusCode = status;
  raw.setHeader('Content-Type', 'application/json; charset=utf-8');
  if (retryAfter !== undefined) raw.setHeader('Retry-After', retryAfter);
  raw.end(JSON.stringify(body));
}

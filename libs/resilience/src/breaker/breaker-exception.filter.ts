import { Catch, HttpStatus, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { type CircuitBreakerOpenError, isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { type CircuitBreakerTimeoutError, isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

type BreakerError = CircuitBreakerOpenError | CircuitBreakerTimeoutError;

/**
 * What `@Catch()` is given instead of the error classes. Nest picks a filter with `exception instanceof
 * Type`, and `instanceof` asks `Symbol.hasInstance`: these answer with the guards, which recognise the
 * errors of every copy of the library (two versions in node_modules), not only this copy's classes.
 */
abstract class AnyCircuitBreakerOpenError {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCircuitBreakerOpenError(value);
  }
}

abstract class AnyCircuitBreakerTimeoutError {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCircuitBreakerTimeoutError(value);
  }
}

/** Trailing-metadata key carrying `retryAfterMs` on gRPC `UNAVAILABLE` answers. */
export const RETRY_AFTER_MS_METADATA = 'retry-after-ms';

// grpc.StatusCode values, spelled here so the root entry needs neither grpc-js nor @nestjs/microservices.
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The parts of a grpc-js `Metadata` the filter uses (the incoming call's metadata gives the class). */
interface GrpcMetadataLike {
  set(key: string, value: string): void;
  getMap(): unknown;
  toHttp2Headers(): unknown;
}

/**
 * Maps breaker errors to transport answers; every other error passes to the next filter untouched.
 * Errors are recognised with `isCircuitBreakerOpenError` / `isCircuitBreakerTimeoutError`, so those thrown
 * by another copy of the library are mapped too.
 * - gRPC: open circuit → `UNAVAILABLE` (14) with `retry-after-ms` in the trailing metadata;
 *   timeout → `DEADLINE_EXCEEDED` (4).
 * - HTTP: open circuit → 503 with `Retry-After` (seconds, rounded up); timeout → 504.
 * - Other RPC transports: an error object `{ status: 'error', code, message, retryAfterMs? }`
 *   (`code`: `CIRCUIT_OPEN` or `CIRCUIT_TIMEOUT`).
 * - WebSocket: that object, plus `cause: { pattern, data }`, emitted to the client as an `exception` event,
 *   as Nest's own WebSocket filter does.
 * - GraphQL: the error is returned as it is (GraphQL reports it in `errors`).
 * The retry hint is left out when the breaker is FORCED_OPEN (only an operator closes it).
 *
 * Register it globally: `app.useGlobalFilters(new BreakerExceptionFilter(app.get(HttpAdapterHost)))`,
 * or `{ provide: APP_FILTER, useClass: BreakerExceptionFilter }` (for a hybrid app's gRPC side, pass
 * `{ inheritAppConfig: true }` to `connectMicroservice`, or `useGlobalFilters` on the microservice).
 */
@Catch(AnyCircuitBreakerOpenError, AnyCircuitBreakerTimeoutError)
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
    if (isGrpcMetadata(incoming)) {
      // The shape of Nest's `GrpcException.getError()`, which its gRPC transport turns into the status.
      const code = isCircuitBreakerOpenError(error) ? GRPC_UNAVAILABLE : GRPC_DEADLINE_EXCEEDED;
      const metadata = new (incoming.constructor as new () => GrpcMetadataLike)();
      if (retryAfterMs !== undefined) metadata.set(RETRY_AFTER_MS_METADATA, String(retryAfterMs));
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
    const open = isCircuitBreakerOpenError(error);
    const status = open ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.GATEWAY_TIMEOUT;
    const body = { statusCode: status, message: error.message, error: open ? 'Service Unavailable' : 'Gateway Timeout' };
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

/** The answer of transports without status codes of their own (RPC other than gRPC, WebSocket). */
function errorPayload(error: BreakerError): { status: 'error'; code: string; message: string; retryAfterMs?: number } {
  const retryAfterMs = retryAfterOf(error);
  return {
    status: 'error',
    code: isCircuitBreakerOpenError(error) ? 'CIRCUIT_OPEN' : 'CIRCUIT_TIMEOUT',
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

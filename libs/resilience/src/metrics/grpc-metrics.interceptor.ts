import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { isCircuitBreakerTimeoutError } from '../breaker/errors/circuit-breaker-timeout.error.js';
import { MetricsService } from './metrics.service.js';

const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

interface GrpcCallLike {
  getPath(): string;
}

/**
 * Counts gRPC calls by method and status code and times them (`grpc_server_handled_total`,
 * `grpc_server_handling_seconds`). Registered globally by `MetricsModule.forRoot({ grpcInterceptor: true })`
 * (for a hybrid app's gRPC side, connect the microservice with `{ inheritAppConfig: true }`), or use it with
 * `@UseInterceptors`. `withGrpcMetrics()` is cheaper and exact; prefer it.
 * Other transports pass through untouched.
 *
 * An interceptor sees a thrown error before the exception filters turn it into a status, so the code
 * is derived the way Nest's and the library's filters do (see {@link grpcCodeOf}); an app filter that
 * answers differently makes the label wrong. `withGrpcMetrics()` counts at the grpc-js level instead,
 * with the code the client receives; this interceptor then stands aside.
 */
@Injectable()
export class GrpcMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const grpc = this.metrics.grpc;
    if (grpc === undefined || this.metrics.grpcCountedByServer || context.getType() !== 'rpc') return next.handle();
    const call = grpcCallOf(context);
    if (call === undefined) return next.handle();
    const path = call.getPath();
    const started = performance.now();
    const record = (code: number) => grpc.record(path, code, (performance.now() - started) / 1000);
    return next.handle().pipe(
      tap({
        complete: () => record(OK),
        error: (error: unknown) => record(grpcCodeOf(error)),
        unsubscribe: () => record(CANCELLED), // the client went away before the handler finished
      }),
    );
  }
}

/** The grpc-js call among the handler's arguments: third for unary and `@GrpcStreamMethod`, first for `@GrpcStreamCall`. */
function grpcCallOf(context: ExecutionContext): GrpcCallLike | undefined {
  for (const index of [2, 0]) {
    const candidate = context.getArgByIndex<Partial<GrpcCallLike> | undefined>(index);
    if (typeof candidate?.getPath === 'function') return candidate as GrpcCallLike;
  }
  return undefined;
}

/**
 * The status code a client receives for `error`, as Nest's gRPC exception filters produce it:
 * `GrpcException` and `RpcException({ code })` (or `{ status }`) → that code; the library's open-circuit
 * and timeout errors → UNAVAILABLE and DEADLINE_EXCEEDED (as `BreakerExceptionFilter` maps them);
 * anything else → UNKNOWN.
 */
export function grpcCodeOf(error: unknown): number {
  if (isCircuitBreakerOpenError(error)) return UNAVAILABLE;
  if (isCircuitBreakerTimeoutError(error)) return DEADLINE_EXCEEDED;
  const getError = (error as { getError?: unknown } | null)?.getError;
  if (typeof getError !== 'function') return UNKNOWN;
  const body = getError.call(error) as { code?: unknown; status?: unknown } | null;
  if (typeof body !== 'object' || body === null) return UNKNOWN;
  const code = typeof body.code === 'number' ? body.code : body.status;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16 ? code : UNKNOWN;
}

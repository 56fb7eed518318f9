import { type ArgumentsHost, Catch, type HttpServer, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { type Clock, systemClock } from '@engined/resilience';
import { status } from '@grpc/grpc-js';
import { GrpcException, RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { isDatabaseUnavailableError } from '../database/database-unavailable.error.js';

/** What grpc-js sends back: `code` and `message` (it becomes the status details). */
interface GrpcErrorBody {
  code: number;
  message: string;
}

/**
 * Last-resort mapping of errors to gRPC statuses, so no handler error reaches the client as
 * UNKNOWN or kills the process: `GrpcException`s keep their code (a lost database is one:
 * UNAVAILABLE, logged as a warning), anything else is INTERNAL and logged.
 *
 * Registered as a global filter of the hybrid app (construct it with the HTTP adapter);
 * HTTP errors go on to Nest's default handling. Breaker errors are mapped by the library's
 * filter, registered after this one so it is tried first.
 */
@Catch()
export class GrpcErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(GrpcErrorFilter.name);
  /** During an outage every call fails the same way: one warning per interval, with a count of the rest. */
  private readonly unavailable: ThrottledWarning;

  constructor(applicationRef?: HttpServer, clock: Clock = systemClock, warnEveryMs = UNAVAILABLE_WARNING_INTERVAL_MS) {
    super(applicationRef);
    this.unavailable = new ThrottledWarning(this.logger, clock, warnEveryMs);
  }

  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'rpc') return super.catch(exception, host);
    return throwError(() => this.toStatus(exception));
  }

  private toStatus(exception: unknown): GrpcErrorBody {
    if (isDatabaseUnavailableError(exception)) this.unavailable.warn(`database unavailable: ${exception.reason}`);
    if (exception instanceof GrpcException) return exception.getError();
    if (exception instanceof RpcException) {
      const error = exception.getError();
      const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      if (typeof code === 'number') return { code, message: exception.message };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { code: status.INTERNAL, message: 'internal error' };
  }
}

/** How often a database outage is logged while calls keep failing. */
export const UNAVAILABLE_WARNING_INTERVAL_MS = 10_000;

/**
 * Logs the first warning at once, then at most one per `intervalMs`, saying how many were held back
 * since the previous one (the latest message stands for them).
 */
class ThrottledWarning {
  private lastAt = Number.NEGATIVE_INFINITY;
  private heldBack = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  warn(message: string): void {
    const now = this.clock.now();
    if (now < this.lastAt + this.intervalMs) {
      this.heldBack++;
      return;
    }
    const heldBack = this.heldBack;
    const secondsAgo = Math.round((now - this.lastAt) / 1_000);
    this.heldBack = 0;
    this.lastAt = now;
    this.logger.warn(heldBack === 0 ? message : `${message} (${heldBack} more like it since the previous warning, ${secondsAgo} s ago)`);
  }
}

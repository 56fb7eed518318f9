import { type ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
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

  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'rpc') return super.catch(exception, host);
    return throwError(() => this.toStatus(exception));
  }

  private toStatus(exception: unknown): GrpcErrorBody {
    if (isDatabaseUnavailableError(exception)) this.logger.warn(`database unavailable: ${exception.reason}`);
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

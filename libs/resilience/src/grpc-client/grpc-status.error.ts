import type { Metadata, StatusObject } from '@grpc/grpc-js';

/**
 * A non-OK status of a call made through `breakerInterceptor`, as the breaker and the retry see it (in their
 * events and classification): shaped like grpc-js' `ServiceError` (`code`, `details`, `metadata`). The caller
 * itself gets the status from grpc-js as usual. Built without a stack trace (it would show only grpc-js internals).
 */
export class GrpcStatusError extends Error {
  override readonly name = 'GrpcStatusError';
  readonly code: number;
  readonly details: string;
  /** Trailing metadata (where `grpc-retry-pushback-ms` comes). */
  readonly metadata: Metadata;

  constructor(
    status: StatusObject,
    /** Response headers, if the server sent any before the status. */
    readonly headers?: Metadata,
  ) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${status.code} ${status.details}`);
    Error.stackTraceLimit = limit;
    this.code = status.code;
    this.details = status.details;
    this.metadata = status.metadata;
  }
}

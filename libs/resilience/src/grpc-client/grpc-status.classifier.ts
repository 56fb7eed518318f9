import { Injectable } from '@nestjs/common';
import type { BreakerClassifier } from '../breaker/breaker-classifier.interface.js';
import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';

// gRPC status codes (the protocol's numbers, as grpc-js' `status` enum has them), kept here so this file needs no grpc-js.
const CANCELLED = 1;
const UNKNOWN = 2;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const DATA_LOSS = 15;

/** Options of the gRPC status presets. */
export interface GrpcClassificationOptions {
  /**
   * Whether `RESOURCE_EXHAUSTED` counts as a breaker failure (`'failure'`, the default: the server sheds load, so
   * calling it less helps) or is ignored (`'ignore'`: e.g. a per-client quota that says nothing of the server's health).
   */
  resourceExhausted?: 'failure' | 'ignore';
}

/** Options of {@link grpcRetryOn}. */
export interface GrpcRetryOnOptions {
  /** Also retry `RESOURCE_EXHAUSTED` (its `grpc-retry-pushback-ms` is obeyed). Default false: retries add load to a server shedding it. */
  resourceExhausted?: boolean;
}

/** What a gRPC client's breaker makes of a status code. */
export type GrpcStatusKind = 'failure' | 'ignore';

/**
 * How a gRPC client's breaker counts a status (the client-side preset):
 * - failures: `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `RESOURCE_EXHAUSTED` (configurable), `INTERNAL`, `UNKNOWN`, `DATA_LOSS`;
 * - ignored: `INVALID_ARGUMENT`, `NOT_FOUND`, `ALREADY_EXISTS`, `PERMISSION_DENIED`, `UNAUTHENTICATED`,
 *   `FAILED_PRECONDITION`, `ABORTED`, `OUT_OF_RANGE`, `UNIMPLEMENTED` (the caller's request or rights, not the
 *   server's health) and `CANCELLED` (a call its caller cancelled, or one cut off by closing our own channel).
 */
export function grpcStatusKind(code: number, options: GrpcClassificationOptions = {}): GrpcStatusKind {
  switch (code) {
    case UNAVAILABLE:
    case DEADLINE_EXCEEDED:
    case INTERNAL:
    case UNKNOWN:
    case DATA_LOSS:
      return 'failure';
    case RESOURCE_EXHAUSTED:
      return options.resourceExhausted === 'ignore' ? 'ignore' : 'failure';
    default:
      return 'ignore';
  }
}

/** The gRPC status code of an error (a grpc-js `ServiceError`, or anything with a numeric `code` in 0..16); undefined otherwise. */
export function grpcCodeOfError(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16 ? code : undefined;
}

/**
 * The preset as breaker options, to spread into `CircuitBreakerOptions`, a profile or `getOrCreate`:
 * `{ recordErrors: [...] }`. An error without a gRPC code (a bug, a timeout of the breaker) counts as a failure;
 * a bulkhead's rejection stays ignored (overload is not an outage). Caller-cancelled calls are ignored by every breaker.
 *
 * ```ts
 * new CircuitBreakerPolicy({ name: 'quotes', ...grpcStatusClassification() })
 * ```
 */
export function grpcStatusClassification(options: GrpcClassificationOptions = {}): { recordErrors: ErrorMatcher[] } {
  const recorded = (error: unknown): boolean => {
    if (isBulkheadRejectedError(error)) return false;
    const code = grpcCodeOfError(error);
    return code === undefined || grpcStatusKind(code, options) === 'failure';
  };
  return { recordErrors: [recorded] };
}

/**
 * The preset as an injectable `BreakerClassifier`, for `@CircuitBreaker({ classifier: GrpcStatusClassifier })` on
 * methods that call a gRPC service (add it to a module's providers). Default options; subclass to change them.
 */
@Injectable()
export class GrpcStatusClassifier implements BreakerClassifier {
  readonly recordErrors: ErrorMatcher[] = grpcStatusClassification().recordErrors;
}

/**
 * What a gRPC client retries: `UNAVAILABLE` (the call did not reach a working server), an open breaker's rejection
 * (its `retryAfterMs` decides, see `RetryOptions.maxRetryAfterMs`), and `RESOURCE_EXHAUSTED` when asked.
 * `DEADLINE_EXCEEDED` is not retried: the call's deadline is spent. For `RetryOptions.retryOn`.
 */
export function grpcRetryOn(options: GrpcRetryOnOptions = {}): ErrorMatcher[] {
  const retryExhausted = options.resourceExhausted === true;
  return [
    (error: unknown) => {
      if (isCircuitBreakerOpenError(error)) return true;
      const code = grpcCodeOfError(error);
      return code === UNAVAILABLE || (retryExhausted && code === RESOURCE_EXHAUSTED);
    },
  ];
}

/** `CANCELLED`, for the interceptor's own use. @internal */
export const GRPC_CANCELLED = CANCELLED;

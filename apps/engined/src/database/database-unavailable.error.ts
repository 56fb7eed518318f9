import { GrpcResourceExhaustedException, GrpcUnavailableException } from '@nestjs/microservices';

/**
 * The database could not be reached or dropped the connection: transient, worth retrying.
 * A gRPC UNAVAILABLE as far as clients (and the gRPC metrics) are concerned; the client sees
 * only "database unavailable", the cause (addresses, driver message) stays in the logs.
 */
export class DatabaseUnavailableError extends GrpcUnavailableException {
  override readonly name = 'DatabaseUnavailableError';

  constructor(readonly reason: string, options?: ErrorOptions) {
    super('database unavailable');
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export function isDatabaseUnavailableError(error: unknown): error is DatabaseUnavailableError {
  return (error as { name?: unknown } | null)?.name === 'DatabaseUnavailableError';
}

/**
 * The `database` bulkhead refused the call: every connection is busy and DATABASE_MAX_QUEUED calls already
 * wait for one. RESOURCE_EXHAUSTED for clients (back off and retry); the database breaker does not count it
 * (overload is not an outage). The cause is the bulkhead's `BulkheadRejectedError`.
 */
export class DatabaseBusyError extends GrpcResourceExhaustedException {
  override readonly name = 'DatabaseBusyError';

  constructor(readonly waiting: number, options?: ErrorOptions) {
    super('database busy');
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * True for errors that mean "no usable connection" rather than "this statement is wrong":
 * socket errors, pg's connection and timeout messages, and SQLSTATE classes 08
 * (connection exception) and 57P (operator intervention: shutdown, crash).
 */
export function isConnectionFailure(error: unknown): boolean {
  // Duck-typed: socket errors may come from another realm (jest's VM), where `instanceof Error` fails.
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08') || code.startsWith('57P'))) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|connection timeout/i.test(message)
  );
}

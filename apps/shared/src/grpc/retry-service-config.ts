/**
 * A grpc-js retry service config (gRFC A6) for `engined.v1.RecordService` clients: a call answered
 * UNAVAILABLE is retried up to 4 more times, after the server's `grpc-retry-pushback-ms` when it sends one
 * (an open breaker does), else after an exponential backoff with jitter (0.1 s, 0.2 s, … up to 2 s). Every
 * attempt shares the call's deadline. Retrying CreateRecord is safe only with a `request_id`: an UNAVAILABLE
 * answer does not mean the record was not written.
 *
 * ```ts nocheck
 * new RecordService(target, credentials.createInsecure(), {
 *   'grpc.service_config': JSON.stringify(RECORDS_RETRY_SERVICE_CONFIG),
 * });
 * ```
 */
export const RECORDS_RETRY_SERVICE_CONFIG = {
  methodConfig: [
    {
      name: [{ service: 'engined.v1.RecordService' }],
      retryPolicy: {
        maxAttempts: 5,
        initialBackoff: '0.1s',
        maxBackoff: '2s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    },
  ],
} as const;

/** The channel options that turn {@link RECORDS_RETRY_SERVICE_CONFIG} on. */
export function recordsRetryChannelOptions(): { 'grpc.service_config': string } {
  return { 'grpc.service_config': JSON.stringify(RECORDS_RETRY_SERVICE_CONFIG) };
}

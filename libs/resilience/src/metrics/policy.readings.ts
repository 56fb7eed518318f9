// The label values of the retry and bulkhead metrics, shared by the Prometheus metrics and the OpenTelemetry
// bridge (no prom-client here). @internal

/** The `outcome` label of `retry_calls_total`, and the `RetryCallCounts` field it reads. */
export const RETRY_OUTCOMES = [
  ['success', 'successful'],
  ['success_after_retry', 'successfulAfterRetry'],
  ['not_retryable', 'notRetryable'],
  ['exhausted', 'exhausted'],
  ['budget_exhausted', 'budgetExhausted'],
  ['deadline', 'deadline'],
  ['aborted', 'aborted'],
  ['retry_after', 'retryAfter'],
] as const;

/** The `outcome` label of `bulkhead_calls_total`, and the `BulkheadCallCounts` field it reads. */
export const BULKHEAD_OUTCOMES = [
  ['admitted', 'admitted'],
  ['rejected', 'rejected'],
  ['queue_timeout', 'queueTimedOut'],
  ['cancelled', 'cancelled'],
] as const;

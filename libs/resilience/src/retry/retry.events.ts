interface RetryEventBase {
  /** Retry policy name. */
  retry: string;
  /** Clock time of the event (ms). */
  at: number;
}

/** An attempt failed and another one is coming after `delayMs`. */
export interface RetryScheduledEvent extends RetryEventBase {
  type: 'retry';
  /** The attempt that failed (1 for the first call). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

/** The call succeeded, after `attempts` attempts. */
export interface RetrySuccessEvent extends RetryEventBase {
  type: 'success';
  attempts: number;
}

/** Why a failed call was not retried (again). */
export type RetryGiveUpReason =
  /** The error does not match `retryOn`. */
  | 'not_retryable'
  /** `maxAttempts` reached. */
  | 'exhausted'
  /** The shared retry budget had no token left. */
  | 'budget_exhausted'
  /** The next wait would end at or past the deadline. */
  | 'deadline'
  /** The caller's signal aborted (before or while waiting). */
  | 'aborted'
  /** The error's retry hint asked not to retry, or for longer than `maxRetryAfterMs`. */
  | 'retry_after';

/** The call failed for good: the caller gets `error`, the last attempt's error (or the signal's reason when aborted). */
export interface RetryGiveUpEvent extends RetryEventBase {
  type: 'give_up';
  attempts: number;
  reason: RetryGiveUpReason;
  error: unknown;
}

export type RetryEvent = RetryScheduledEvent | RetrySuccessEvent | RetryGiveUpEvent;

/** Calls through a retry policy by how they ended. */
export interface RetryCallCounts {
  /** Succeeded at the first attempt. */
  successful: number;
  /** Succeeded after one or more retries. */
  successfulAfterRetry: number;
  notRetryable: number;
  exhausted: number;
  budgetExhausted: number;
  deadline: number;
  aborted: number;
  retryAfter: number;
}

/** A point-in-time view of one retry policy. */
export interface RetryMetrics {
  name: string;
  /** Attempts made, first attempts included. */
  attempts: number;
  /** Retries made (attempts after the first). */
  retries: number;
  calls: RetryCallCounts;
  /** Calls started and not yet settled. */
  inFlight: number;
  /** Tokens left in the retry budget; `Infinity` without a budget. */
  budgetAvailable: number;
}

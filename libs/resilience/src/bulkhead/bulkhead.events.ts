import type { BulkheadRejection } from './errors/bulkhead-rejected.error.js';

interface BulkheadEventBase {
  /** Bulkhead name. */
  bulkhead: string;
  /** Clock time of the event (ms). */
  at: number;
}

/** A call got a slot: at once (`queuedMs` 0) or after waiting in the queue. */
export interface BulkheadAdmittedEvent extends BulkheadEventBase {
  type: 'admitted';
  /** Time spent in the queue (ms); -1 when it was not measured (admitted from the queue before anyone subscribed). */
  queuedMs: number;
  /** Calls running, this one included. */
  active: number;
}

/** Every slot was taken: the call waits in the queue. */
export interface BulkheadQueuedEvent extends BulkheadEventBase {
  type: 'queued';
  /** Calls waiting, this one included. */
  queued: number;
}

/** The call was turned away with `BulkheadRejectedError`. */
export interface BulkheadRejectedEvent extends BulkheadEventBase {
  type: 'rejected';
  reason: BulkheadRejection;
  active: number;
  queued: number;
}

/** A queued call left the queue because its caller aborted. */
export interface BulkheadCancelledEvent extends BulkheadEventBase {
  type: 'cancelled';
  queued: number;
}

export type BulkheadEvent = BulkheadAdmittedEvent | BulkheadQueuedEvent | BulkheadRejectedEvent | BulkheadCancelledEvent;

/** Calls through a bulkhead by what happened to them. */
export interface BulkheadCallCounts {
  /** Got a slot (at once or from the queue). */
  admitted: number;
  /** Rejected at once: slots and queue full. */
  rejected: number;
  /** Left the queue after `queueTimeoutMs`. */
  queueTimedOut: number;
  /** Left the queue, or never entered, because the caller aborted. */
  cancelled: number;
}

/** A point-in-time view of one bulkhead. */
export interface BulkheadMetrics {
  name: string;
  maxConcurrent: number;
  maxQueued: number;
  /** Calls running now. */
  active: number;
  /** Calls waiting for a slot now. */
  queued: number;
  calls: BulkheadCallCounts;
}

import type { Clock } from '../common/clock.js';

/** Options of one bulkhead. Every field is optional; defaults are listed per field. */
export interface BulkheadOptions {
  /** Name in the registry, metrics, events and errors. Decorator default: `ClassName.methodName`; class default `bulkhead`. */
  name?: string;
  /** Calls allowed to run at once. Default 10. */
  maxConcurrent?: number;
  /** Calls allowed to wait for a slot while every slot is taken; one more is rejected at once. Default 0 (no queue). */
  maxQueued?: number;
  /**
   * Longest wait in the queue (ms): a call still waiting then leaves it with `BulkheadRejectedError`
   * (`reason: 'queue_timeout'`). Queued calls share one timer. Default: no limit (a queued call leaves only
   * when it gets a slot or its caller aborts).
   */
  queueTimeoutMs?: number;
  /** Time source of the queue timeout. Default `systemClock`. */
  clock?: Clock;
}

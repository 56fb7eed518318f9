// The part of opossum 9's API the benchmarks use (opossum ships no types; @types/opossum lags at 8.x).
declare module 'opossum' {
  import { EventEmitter } from 'node:events';

  namespace CircuitBreaker {
    interface Options {
      timeout?: number | false;
      resetTimeout?: number;
      errorThresholdPercentage?: number;
      volumeThreshold?: number;
      rollingCountTimeout?: number;
      rollingCountBuckets?: number;
      rollingPercentilesEnabled?: boolean;
      enableSnapshots?: boolean;
      name?: string;
      /** A status built with `CircuitBreaker.newStatus()`, e.g. with a pre-filled window. */
      status?: Status;
    }

    /** Counters of the rolling window; `latencyTimes` holds one entry per success, failure and timeout. */
    interface Stats {
      fires: number;
      failures: number;
      successes: number;
      rejects: number;
      timeouts: number;
      latencyTimes: number[];
    }

    interface StatusOptions {
      rollingCountTimeout?: number;
      rollingCountBuckets?: number;
      rollingPercentilesEnabled?: boolean;
      enableSnapshots?: boolean;
      /** Merged into the newest bucket. */
      stats?: Partial<Stats>;
    }

    interface Status extends EventEmitter {
      readonly stats: Stats;
      shutdown(): void;
    }
  }

  class CircuitBreaker<TArgs extends unknown[] = unknown[], TResult = unknown> extends EventEmitter {
    constructor(action: (...args: TArgs) => Promise<TResult>, options?: CircuitBreaker.Options);
    static newStatus(options: CircuitBreaker.StatusOptions): CircuitBreaker.Status;
    readonly closed: boolean;
    readonly opened: boolean;
    readonly halfOpen: boolean;
    readonly stats: CircuitBreaker.Stats;
    fire(...args: TArgs): Promise<TResult>;
    open(): void;
    shutdown(): void;
  }

  export = CircuitBreaker;
}

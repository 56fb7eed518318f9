import type { FailureWindow, FailureWindowStats } from './failure-window.js';

/**
 * Trips after `failures` failed calls in a row; any success resets the run. Rates, `minimumCalls` and
 * slow calls play no part (slow calls are still counted in the breaker's totals).
 */
export class ConsecutiveWindow implements FailureWindow {
  readonly needsTime = false;
  private run = 0;

  constructor(private readonly failures: number) {}

  success(): boolean {
    this.run = 0;
    return false;
  }

  failure(): boolean {
    return ++this.run >= this.failures;
  }

  reset(): void {
    this.run = 0;
  }

  tripReason(): string {
    return `${this.run} consecutive failures`;
  }

  /** `bufferedCalls` is the current run of failures. */
  stats(): FailureWindowStats {
    return { bufferedCalls: this.run, failureRate: -1, slowCallRate: -1 };
  }
}

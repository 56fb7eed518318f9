import { BulkheadPolicy, CircuitBreakerPolicy, pipeline, RetryPolicy, type RetryOptions } from '@engined/resilience';
import type { CallCase, CallSubject, Tally } from '../call-cost.js';
import { failsEveryOtherCall, hold, succeed } from './workloads.js';

/** Attempts of every retry case: one call and one retry at most. */
export const MAX_ATTEMPTS = 2;
/** Slots of every bulkhead success case: never all taken by the one-at-a-time runner. */
export const BULKHEAD_SLOTS = 10;

export const enginedRetrySuccessCases: readonly CallCase[] = [
  retryCase('engined RetryPolicy, success, default budget', {}, () => succeed, 'successful'),
  retryCase('engined RetryPolicy, success, no budget', { budget: false }, () => succeed, 'successful'),
];

export const enginedRetryOnceCases: readonly CallCase[] = [
  // The default budget would run out within the first millisecond of a loop in which every call needs a retry.
  retryCase('engined RetryPolicy, one retry (0 ms backoff), no budget', { budget: false, backoff: { kind: 'constant', delayMs: 0 } }, failsEveryOtherCall, 'successfulAfterRetry'),
];

export const enginedBulkheadCases: readonly CallCase[] = [
  {
    name: 'engined BulkheadPolicy(10), free slot',
    expect: 'resolves',
    setup: (): CallSubject => {
      const bulkhead = new BulkheadPolicy({ name: 'bench', maxConcurrent: BULKHEAD_SLOTS });
      return {
        call: () => bulkhead.execute(succeed),
        verify: (calls) => expectCount('admitted', bulkhead.metrics().calls.admitted, calls.resolved),
        dispose: () => bulkhead.dispose(),
      };
    },
  },
];

export const enginedBulkheadRejectedCases: readonly CallCase[] = [
  {
    name: 'engined BulkheadPolicy(1), full: rejected',
    expect: 'rejects',
    setup: (): CallSubject => {
      const bulkhead = new BulkheadPolicy({ name: 'bench-full', maxConcurrent: 1 });
      void bulkhead.execute(hold);
      return {
        call: () => bulkhead.execute(succeed),
        verify: (calls) => expectCount('rejected', bulkhead.metrics().calls.rejected, calls.rejected),
        dispose: () => bulkhead.dispose(),
      };
    },
  },
];

export const enginedPipelineCases: readonly CallCase[] = [
  {
    name: 'engined pipeline(retry, breaker count(100), bulkhead(10)), success',
    expect: 'resolves',
    setup: (): CallSubject => {
      const retry = new RetryPolicy({ name: 'bench', maxAttempts: MAX_ATTEMPTS, budget: false });
      const breaker = new CircuitBreakerPolicy({ name: 'bench', window: { kind: 'count', size: 100 } });
      const bulkhead = new BulkheadPolicy({ name: 'bench', maxConcurrent: BULKHEAD_SLOTS });
      const guarded = pipeline(retry, breaker, bulkhead);
      return {
        call: () => guarded.execute(succeed),
        verify: (calls) => expectCount('successful', breaker.metrics().calls.successful, calls.resolved),
        dispose: () => {
          retry.dispose();
          breaker.dispose();
          bulkhead.dispose();
        },
      };
    },
  },
];

function retryCase(
  name: string,
  options: RetryOptions,
  dependency: () => () => Promise<number>,
  outcome: 'successful' | 'successfulAfterRetry',
): CallCase {
  return {
    name,
    expect: 'resolves',
    setup: (): CallSubject => {
      const retry = new RetryPolicy({ name: `bench ${name}`, maxAttempts: MAX_ATTEMPTS, ...options });
      const fn = dependency();
      return {
        call: () => retry.execute(fn),
        verify: (calls: Tally) => expectCount(outcome, retry.metrics().calls[outcome], calls.resolved),
        dispose: () => retry.dispose(),
      };
    },
  };
}

function expectCount(what: string, counted: number, made: number): string | undefined {
  return counted === made ? undefined : `the policy counted ${counted} ${what} calls, the runner made ${made}`;
}

import { bulkhead, circuitBreaker, ConstantBackoff, CountBreaker, handleAll, retry, wrap } from 'cockatiel';
import type { CallCase, CallSubject } from '../call-cost.js';
import { BULKHEAD_SLOTS, MAX_ATTEMPTS } from './engined.cases.js';
import { failsEveryOtherCall, hold, succeed } from './workloads.js';

// cockatiel 3 doing what the engined cases do: same functions, same limits.

export const cockatielRetrySuccessCases: readonly CallCase[] = [
  {
    name: 'cockatiel retry(handleAll), success',
    expect: 'resolves',
    setup: (): CallSubject => {
      const policy = retry(handleAll, { maxAttempts: MAX_ATTEMPTS - 1 });
      let retries = 0;
      policy.onRetry(() => retries++);
      return { call: () => policy.execute(succeed), verify: () => (retries === 0 ? undefined : `${retries} retries on the success path`) };
    },
  },
];

export const cockatielRetryOnceCases: readonly CallCase[] = [
  {
    name: 'cockatiel retry(handleAll, ConstantBackoff(0)), one retry',
    expect: 'resolves',
    setup: (): CallSubject => {
      // cockatiel counts maxAttempts as retries after the first call.
      const policy = retry(handleAll, { maxAttempts: MAX_ATTEMPTS - 1, backoff: new ConstantBackoff(0) });
      let retries = 0;
      policy.onRetry(() => retries++);
      const fn = failsEveryOtherCall();
      return {
        call: () => policy.execute(fn),
        verify: (calls) => (retries === calls.resolved ? undefined : `${retries} retries for ${calls.resolved} calls`),
      };
    },
  },
];

export const cockatielBulkheadCases: readonly CallCase[] = [
  {
    name: 'cockatiel bulkhead(10), free slot',
    expect: 'resolves',
    setup: (): CallSubject => {
      const policy = bulkhead(BULKHEAD_SLOTS);
      return { call: () => policy.execute(succeed), verify: () => (policy.executionSlots === BULKHEAD_SLOTS ? undefined : 'a slot was left taken') };
    },
  },
];

export const cockatielBulkheadRejectedCases: readonly CallCase[] = [
  {
    name: 'cockatiel bulkhead(1), full: rejected',
    expect: 'rejects',
    setup: (): CallSubject => {
      const policy = bulkhead(1);
      void policy.execute(hold);
      return { call: () => policy.execute(succeed), verify: () => (policy.executionSlots === 0 ? undefined : 'the held slot was freed') };
    },
  },
];

export const cockatielPipelineCases: readonly CallCase[] = [
  {
    name: 'cockatiel wrap(retry, breaker CountBreaker(100), bulkhead(10)), success',
    expect: 'resolves',
    setup: (): CallSubject => {
      const breaker = circuitBreaker(handleAll, { halfOpenAfter: 3_600_000, breaker: new CountBreaker({ threshold: 0.5, size: 100 }) });
      const guarded = wrap(retry(handleAll, { maxAttempts: MAX_ATTEMPTS - 1 }), breaker, bulkhead(BULKHEAD_SLOTS));
      return { call: () => guarded.execute(succeed) };
    },
  },
];

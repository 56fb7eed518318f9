import { DEPENDENCY_FAILURE, fail, succeed } from '../breaker/workloads.js';

export { fail, succeed };

/**
 * A dependency whose every other call fails at once (the first of each pair): a retried call takes exactly
 * one retry. Each case gets its own, so cases do not share the alternation.
 */
export function failsEveryOtherCall(): () => Promise<number> {
  let failNext = true;
  return async () => {
    failNext = !failNext;
    if (!failNext) throw DEPENDENCY_FAILURE;
    return 42;
  };
}

/** The work of one retried call without any policy: a failing call, then a succeeding one. */
export async function failThenSucceed(): Promise<number> {
  try {
    await fail();
  } catch {
    // the first attempt fails, as the dependency in the retry cases does
  }
  return succeed();
}

/** A call that never settles: holds a bulkhead slot for the whole run. */
export function hold(): Promise<never> {
  return new Promise(() => undefined);
}

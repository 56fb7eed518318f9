import { describe, expect, it } from '@jest/globals';
import { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { CircuitState } from '../breaker/circuit-state.js';
import { isCircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { RetryEvent } from '../retry/retry.events.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { FakeClock } from '../testing/fake-clock.js';
import { isCallTimeoutError } from '../timeout/errors/call-timeout.error.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { pipeline } from './pipeline.js';
import { advance, never, outcome } from '../__fixtures__/async.js';

const down = (): Promise<never> => Promise.reject(new Error('down'));

function policies(clock: FakeClock) {
  return {
    retry: new RetryPolicy({ name: 'r', clock, maxAttempts: 3, backoff: { kind: 'constant', delayMs: 10 }, budget: false }),
    breaker: new CircuitBreakerPolicy({ name: 'b', clock, window: { kind: 'consecutive', failures: 2 }, openDurationMs: 60_000 }),
    bulkhead: new BulkheadPolicy({ name: 'h', clock, maxConcurrent: 1 }),
    timeout: new TimeoutPolicy({ name: 't', clock, timeoutMs: 100 }),
  };
}

describe('pipeline()', () => {
  it('composes in one order (fallback → retry → breaker → bulkhead → timeout), whatever order the policies are given in', () => {
    const clock = new FakeClock();
    const { retry, breaker, bulkhead, timeout } = policies(clock);
    const fallback = new FallbackPolicy({ fallback: () => 'fallback' });
    const forward = pipeline(fallback, retry, breaker, bulkhead, timeout);
    const backward = pipeline(timeout, bulkhead, breaker, retry, fallback);
    expect(backward.stages).toEqual(forward.stages);
    expect(forward.stages).toEqual({ fallback, retry, breaker, bulkhead, timeout });
  });

  it('hands the innermost signal to fn: a timed-out attempt sees its own signal aborted', async () => {
    const clock = new FakeClock();
    const { timeout } = policies(clock);
    const signals: AbortSignal[] = [];
    const result = outcome(
      pipeline(timeout).execute((signal) => {
        signals.push(signal);
        return never();
      }),
    );
    clock.advance(100);
    expect(isCallTimeoutError((await result).error)).toBe(true);
    expect(signals[0]!.aborted).toBe(true);
  });

  it("a retry sees the breaker's open rejection and stops when its retry-after is beyond maxRetryAfterMs", async () => {
    const clock = new FakeClock();
    const { breaker } = policies(clock);
    const retry = new RetryPolicy({ name: 'r', clock, maxAttempts: 5, backoff: { kind: 'constant', delayMs: 10 }, budget: false });
    const events: RetryEvent[] = [];
    retry.events$.subscribe((e) => events.push(e));
    let calls = 0;
    const result = outcome(
      pipeline(breaker, retry).execute(() => {
        calls++;
        return down();
      }),
    );
    await advance(clock, 100, 10);
    const { error } = await result;
    // Two failures open the breaker; the third attempt is rejected, and 60 s is beyond maxRetryAfterMs (10 s).
    expect(calls).toBe(2);
    expect(isCircuitBreakerOpenError(error)).toBe(true);
    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'retry_after', attempts: 3 });
  });

  it("a retry waits out a short open duration (the rejection's retryAfterMs) and its next attempt is the half-open probe", async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ name: 'r', clock, maxAttempts: 4, backoff: { kind: 'constant', delayMs: 10 }, budget: false });
    const breaker = new CircuitBreakerPolicy({ name: 'b', clock, window: { kind: 'consecutive', failures: 2 }, openDurationMs: 500 });
    let calls = 0;
    const result = pipeline(retry, breaker).execute(async () => {
      calls++;
      if (calls <= 2) throw new Error('down');
      return 'recovered';
    });
    await advance(clock, 1_000, 10);
    await expect(result).resolves.toBe('recovered');
    expect(calls).toBe(3);
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(breaker.metrics().calls).toMatchObject({ failed: 2, notPermitted: 1, successful: 1 });
  });

  it('a bulkhead rejection reaches the breaker as ignored, never as a failure', async () => {
    const clock = new FakeClock();
    const { breaker, bulkhead } = policies(clock);
    const guarded = pipeline(bulkhead, breaker);
    void guarded.execute(never);
    for (let i = 0; i < 5; i++) {
      const { error } = await outcome(guarded.execute(async () => 'x'));
      expect(isBulkheadRejectedError(error)).toBe(true);
    }
    expect(breaker.state).toBe(CircuitState.CLOSED);
    expect(breaker.metrics().calls).toMatchObject({ failed: 0, ignored: 5 });
  });

  it('a timeout counts once per attempt in the breaker, and the whole call ends at the deadline (not maxAttempts × timeout)', async () => {
    const clock = new FakeClock();
    const retry = new RetryPolicy({ name: 'r', clock, maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0 }, maxDurationMs: 250, budget: false });
    const breaker = new CircuitBreakerPolicy({ name: 'b', clock, window: { kind: 'count', size: 10 }, minimumCalls: 10 });
    const timeout = new TimeoutPolicy({ name: 't', clock, timeoutMs: 100 });
    const attempts: number[] = [];
    const result = outcome(
      pipeline(retry, breaker, timeout).execute(() => {
        attempts.push(clock.now());
        return never();
      }),
    );
    await advance(clock, 400, 10);
    const { error } = await result;
    expect(isCallTimeoutError(error)).toBe(true);
    // Attempts at 0, 100 and 200; the last one gets the 50 ms left before the 250 ms deadline.
    expect(attempts).toEqual([0, 100, 200]);
    expect((error as { timeoutMs: number }).timeoutMs).toBe(50);
    expect(breaker.metrics().calls).toMatchObject({ failed: 3 });
    expect(clock.pendingTimers).toBe(0);
  });

  it('the fallback answers only once the retries are exhausted', async () => {
    const clock = new FakeClock();
    const { retry } = policies(clock);
    const answered: { error: unknown; attempts: number }[] = [];
    let attempts = 0;
    const fallback = new FallbackPolicy({ fallback: (error) => (answered.push({ error, attempts }), 'fallback') });
    const result = pipeline(fallback, retry).execute(() => {
      attempts++;
      return down();
    });
    await advance(clock, 100, 10);
    await expect(result).resolves.toBe('fallback');
    expect(answered).toEqual([{ error: new Error('down'), attempts: 3 }]);
  });

  it('never answers with the fallback, nor retries, once the caller aborted', async () => {
    const clock = new FakeClock();
    const { retry } = policies(clock);
    const fallback = new FallbackPolicy({ fallback: () => 'fallback' });
    const controller = new AbortController();
    let attempts = 0;
    const result = outcome(
      pipeline(fallback, retry).execute(() => {
        attempts++;
        controller.abort(new Error('caller left'));
        return down();
      }, controller.signal),
    );
    await advance(clock, 100, 10);
    expect((await result).error).toEqual(new Error('caller left'));
    expect(attempts).toBe(1);
  });

  it('a fallback limited by handle lets other errors through', async () => {
    class Unavailable extends Error {}
    const fallback = new FallbackPolicy({ fallback: () => 'cached', handle: [Unavailable] });
    await expect(pipeline(fallback).execute(() => Promise.reject(new Unavailable('u')))).resolves.toBe('cached');
    await expect(pipeline(fallback).execute(down)).rejects.toThrow('down');
  });

  it('rejects a second policy of a kind, and anything that is not a policy', () => {
    const clock = new FakeClock();
    const { retry } = policies(clock);
    expect(() => pipeline(retry, new RetryPolicy())).toThrow(InvalidOptionError);
    expect(() => pipeline(retry, new RetryPolicy())).toThrow('pipeline(): option "policies[1]" must not be a second retry policy (one of each kind), got "retry"');
    expect(() => pipeline({} as never)).toThrow('pipeline(): option "policies[0]" must be a FallbackPolicy, RetryPolicy, CircuitBreakerPolicy, BulkheadPolicy or TimeoutPolicy, got {}');
  });
});

import { describe, expect, it } from '@jest/globals';
import { Metadata } from '@grpc/grpc-js';
import { CircuitState } from '../breaker/circuit-state.js';
import { CircuitBreakerOpenError } from '../breaker/errors/circuit-breaker-open.error.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { FakeClock } from '../testing/fake-clock.js';
import type { RetryEvent } from './retry.events.js';
import type { RetryOptions } from './retry.options.js';
import { RetryPolicy } from './retry.policy.js';
import { advance, flush, outcome } from '../__fixtures__/async.js';

/** A dependency that fails `failures` times with `error`, then answers `ok`; records when each attempt came. */
function flaky(clock: FakeClock, failures: number, error: unknown = new Error('transient')) {
  const at: number[] = [];
  const fn = async (): Promise<string> => {
    at.push(clock.now());
    if (at.length <= failures) throw error;
    return 'ok';
  };
  return { fn, at };
}

function setup(options: RetryOptions = {}, random = () => 0.5) {
  const clock = new FakeClock(1_000_000);
  const retry = new RetryPolicy({ name: 'db', clock, budget: false, ...options }, { random });
  const events: RetryEvent[] = [];
  retry.events$.subscribe((event) => events.push(event));
  return { clock, retry, events };
}

const CONSTANT_100 = { kind: 'constant', delayMs: 100 } as const;
const outage = (): Promise<never> => Promise.reject(new Error('outage'));

/** A grpc-js-style status error carrying `key: value` in its trailing metadata. */
function grpcError(key: string, value: string): Error {
  const metadata = new Metadata();
  metadata.set(key, value);
  return Object.assign(new Error('unavailable'), { code: 14, metadata });
}

describe('RetryPolicy', () => {
  describe('attempts and backoff', () => {
    it('retries a failed call after the backoff and answers with the first success', async () => {
      const { clock, retry, events } = setup({ backoff: CONSTANT_100 });
      const dependency = flaky(clock, 2);
      const result = retry.execute(dependency.fn);
      await advance(clock, 99);
      expect(dependency.at).toEqual([1_000_000]);
      await advance(clock, 1);
      expect(dependency.at).toEqual([1_000_000, 1_000_100]);
      await advance(clock, 100);
      await expect(result).resolves.toBe('ok');
      expect(dependency.at).toEqual([1_000_000, 1_000_100, 1_000_200]);
      expect(events.map((e) => e.type)).toEqual(['retry', 'retry', 'success']);
      expect(events[2]).toMatchObject({ attempts: 3 });
      expect(retry.metrics()).toMatchObject({ attempts: 3, retries: 2, inFlight: 0, calls: { successfulAfterRetry: 1, successful: 0 } });
    });

    it('gives up after maxAttempts with the last error', async () => {
      const last = new Error('third');
      let n = 0;
      const { clock, retry, events } = setup({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 0 } });
      const result = retry.execute(async () => {
        n++;
        throw n === 3 ? last : new Error(`attempt ${n}`);
      });
      await expect(result).rejects.toBe(last);
      expect(clock.pendingTimers).toBe(0);
      expect(n).toBe(3);
      expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'exhausted', attempts: 3, error: last });
      expect(retry.metrics().calls.exhausted).toBe(1);
    });

    it('retries at once without a timer when the delay is 0', async () => {
      const { clock, retry } = setup({ backoff: { kind: 'constant', delayMs: 0 } });
      const dependency = flaky(clock, 2);
      const result = retry.execute(dependency.fn);
      expect(clock.pendingTimers).toBe(0);
      await expect(result).resolves.toBe('ok');
      expect(dependency.at).toEqual([1_000_000, 1_000_000, 1_000_000]);
    });

    it('grows exponential waits by the multiplier up to maxDelayMs (jitter none)', async () => {
      const { clock, retry, events } = setup({
        maxAttempts: 5,
        backoff: { kind: 'exponential', initialMs: 100, maxDelayMs: 300, multiplier: 2, jitter: 'none' },
      });
      const dependency = flaky(clock, 10);
      const result = outcome(retry.execute(dependency.fn));
      await advance(clock, 2_000, 50);
      await result;
      expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 200, 300, 300]);
      expect(dependency.at.map((t) => t - 1_000_000)).toEqual([0, 100, 300, 600, 900]);
    });

    it('spreads exponential waits uniformly below the cap with full jitter (random injected)', async () => {
      const randoms = [0.25, 0.5, 0.999];
      const { clock, retry, events } = setup(
        { maxAttempts: 4, backoff: { kind: 'exponential', initialMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 'full' } },
        () => randoms.shift()!,
      );
      const result = outcome(retry.execute(flaky(clock, 10).fn));
      await advance(clock, 2_000, 25);
      await result;
      // full jitter: random × min(cap, 100 · 2^(n-1)), rounded up to whole ms
      expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([25, 100, 400]);
    });

    it('draws decorrelated jitter between initialMs and three times the previous wait', async () => {
      const randoms = [0, 1, 0.5];
      const { clock, retry, events } = setup(
        { maxAttempts: 4, backoff: { kind: 'exponential', initialMs: 100, maxDelayMs: 500, jitter: 'decorrelated' } },
        () => randoms.shift()!,
      );
      const result = outcome(retry.execute(flaky(clock, 10).fn));
      await advance(clock, 2_000, 25);
      await result;
      // 100 + r · (3 · previous - 100): 100 (r 0), then 100 + 1 · 200 = 300, then 100 + 0.5 · 800 = 500 (capped at 500)
      expect(events.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 300, 500]);
    });

    it('passes the attempt number and the caller signal to each attempt', async () => {
      const { clock, retry } = setup({ backoff: { kind: 'constant', delayMs: 0 } });
      const controller = new AbortController();
      const seen: [AbortSignal, number][] = [];
      await retry.execute(async (signal, attempt) => {
        seen.push([signal, attempt]);
        if (attempt < 2) throw new Error('again');
        return 'ok';
      }, controller.signal);
      expect(seen).toEqual([
        [controller.signal, 1],
        [controller.signal, 2],
      ]);
      expect(clock.pendingTimers).toBe(0);
    });

    it('answers a synchronous function, and retries one that throws synchronously', async () => {
      const { retry } = setup({ backoff: { kind: 'constant', delayMs: 0 } });
      await expect(retry.execute(() => 42)).resolves.toBe(42);
      let n = 0;
      await expect(
        retry.execute(() => {
          if (++n < 2) throw new Error('sync');
          return 'second';
        }),
      ).resolves.toBe('second');
    });
  });

  describe('retryOn', () => {
    class Transient extends Error {}

    it('retries only errors matching retryOn (classes or predicates); others fail at once', async () => {
      const { clock, retry, events } = setup({ retryOn: [Transient, (e) => (e as { code?: number }).code === 14], backoff: { kind: 'constant', delayMs: 0 } });
      const permanent = new Error('bad input');
      const dependency = flaky(clock, 5, permanent);
      await expect(retry.execute(dependency.fn)).rejects.toBe(permanent);
      expect(dependency.at).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'not_retryable', attempts: 1 });

      await expect(retry.execute(flaky(clock, 1, new Transient('t')).fn)).resolves.toBe('ok');
      await expect(retry.execute(flaky(clock, 1, Object.assign(new Error('unavailable'), { code: 14 })).fn)).resolves.toBe('ok');
      expect(retry.metrics().calls).toMatchObject({ notRetryable: 1, successfulAfterRetry: 2 });
    });

    it('does not retry when a matcher throws', async () => {
      const { clock, retry } = setup({
        retryOn: [
          () => {
            throw new Error('broken matcher');
          },
        ],
      });
      const dependency = flaky(clock, 1);
      await expect(retry.execute(dependency.fn)).rejects.toThrow('transient');
      expect(dependency.at).toHaveLength(1);
    });
  });

  describe('cancellation and deadlines', () => {
    it('never calls fn when the signal is already aborted', async () => {
      const { clock, retry, events } = setup();
      const controller = new AbortController();
      controller.abort(new Error('gone'));
      const dependency = flaky(clock, 0);
      await expect(retry.execute(dependency.fn, controller.signal)).rejects.toThrow('gone');
      expect(dependency.at).toEqual([]);
      expect(events).toEqual([expect.objectContaining({ type: 'give_up', reason: 'aborted', attempts: 0 })]);
    });

    it('stops waiting as soon as the caller aborts, rejects with the reason, and leaves no timer', async () => {
      const { clock, retry, events } = setup({ backoff: CONSTANT_100 });
      const controller = new AbortController();
      const dependency = flaky(clock, 5);
      const result = outcome(retry.execute(dependency.fn, controller.signal));
      await advance(clock, 50);
      expect(clock.pendingTimers).toBe(1);
      controller.abort(new Error('caller left'));
      expect((await result).error).toEqual(new Error('caller left'));
      expect(clock.pendingTimers).toBe(0);
      expect(dependency.at).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'aborted', attempts: 1 });
    });

    it('does not retry an attempt that failed after the caller aborted', async () => {
      const { retry } = setup({ backoff: { kind: 'constant', delayMs: 0 } });
      const controller = new AbortController();
      let calls = 0;
      const result = retry.execute(async (signal) => {
        calls++;
        controller.abort(new Error('left'));
        throw signal.reason;
      }, controller.signal);
      await expect(result).rejects.toThrow('left');
      expect(calls).toBe(1);
      expect(retry.metrics().calls.aborted).toBe(1);
    });

    it('does not retry when the next wait would end at or past the deadline', async () => {
      const { clock, retry, events } = setup({ backoff: CONSTANT_100, maxAttempts: 10 });
      const dependency = flaky(clock, 10);
      const result = outcome(retry.execute(dependency.fn, undefined, 1_000_250));
      await advance(clock, 500, 50);
      expect((await result).error).toEqual(new Error('transient'));
      // attempts at 0, 100, 200; a retry at 300 would start past the deadline (250)
      expect(dependency.at.map((t) => t - 1_000_000)).toEqual([0, 100, 200]);
      expect(events.at(-1)).toMatchObject({ type: 'give_up', reason: 'deadline', attempts: 3 });
    });

    it('bounds the whole call with maxDurationMs and hands each attempt the deadline', async () => {
      const { clock, retry } = setup({ backoff: CONSTANT_100, maxAttempts: 10, maxDurationMs: 150 });
      const deadlines: number[] = [];
      const result = outcome(
        retry.execute(async (_signal, _attempt, deadline) => {
          deadlines.push(deadline);
          throw new Error('down');
        }),
      );
      await advance(clock, 500, 50);
      await result;
      expect(deadlines).toEqual([1_000_150, 1_000_150]);
      // The nearer of the caller's deadline and maxDurationMs wins.
      const start = clock.now();
      const seen: number[] = [];
      await outcome(retry.execute(async (_s, _a, deadline) => void seen.push(deadline), undefined, start + 600));
      await outcome(retry.execute(async (_s, _a, deadline) => void seen.push(deadline), undefined, start + 50));
      expect(seen).toEqual([start + 150, start + 50]);
    });
  });

  describe('retry-after hints', () => {
    it("waits an open breaker's retryAfterMs when it is longer than the backoff", async () => {
      const { clock, retry, events } = setup({ backoff: { kind: 'constant', delayMs: 10 } });
      const dependency = flaky(clock, 1, new CircuitBreakerOpenError('db', CircuitState.OPEN, 750));
      const result = retry.execute(dependency.fn);
      await advance(clock, 800, 50);
      await expect(result).resolves.toBe('ok');
      expect(dependency.at.map((t) => t - 1_000_000)).toEqual([0, 750]);
      expect(events[0]).toMatchObject({ type: 'retry', delayMs: 750 });
    });

    it('stops when the hint is longer than maxRetryAfterMs, or says never (FORCED_OPEN: -1)', async () => {
      const { clock, retry, events } = setup({ maxRetryAfterMs: 1_000 });
      const long = flaky(clock, 1, new CircuitBreakerOpenError('db', CircuitState.OPEN, 30_000));
      await expect(retry.execute(long.fn)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
      expect(long.at).toHaveLength(1);
      const forced = flaky(clock, 1, new CircuitBreakerOpenError('db', CircuitState.FORCED_OPEN, -1));
      await expect(retry.execute(forced.fn)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
      expect(forced.at).toHaveLength(1);
      expect(events.map((e) => e.type === 'give_up' && e.reason)).toEqual(['retry_after', 'retry_after']);
      expect(retry.metrics().calls.retryAfter).toBe(2);
    });

    it('obeys gRPC grpc-retry-pushback-ms and retry-after-ms trailing metadata; a bad pushback means do not retry', async () => {
      const { clock, retry } = setup({ backoff: { kind: 'constant', delayMs: 1 } });
      const pushback = flaky(clock, 1, grpcError('grpc-retry-pushback-ms', '400'));
      const first = retry.execute(pushback.fn);
      await advance(clock, 400, 100);
      await expect(first).resolves.toBe('ok');
      expect(pushback.at[1]! - pushback.at[0]!).toBe(400);

      const ours = flaky(clock, 1, grpcError('retry-after-ms', '200'));
      const second = retry.execute(ours.fn);
      await advance(clock, 200, 100);
      await expect(second).resolves.toBe('ok');
      expect(ours.at[1]! - ours.at[0]!).toBe(200);

      const refused = flaky(clock, 1, grpcError('grpc-retry-pushback-ms', '-1'));
      await expect(retry.execute(refused.fn)).rejects.toThrow('unavailable');
      expect(refused.at).toHaveLength(1);
    });
  });

  describe('retry budget', () => {
    it('lets retries reach percent % of calls plus the reserve over ttl, then gives up with budget_exhausted', async () => {
      // 10 % of calls, no reserve: 20 calls deposit 2 tokens.
      const { clock, retry, events } = setup({ budget: { percent: 10, minRetriesPerSecond: 0, ttlMs: 10_000 }, backoff: { kind: 'constant', delayMs: 0 } });
      for (let i = 0; i < 20; i++) await retry.execute(async () => 'ok');
      const results = await Promise.all(Array.from({ length: 5 }, () => outcome(retry.execute(outage))));
      expect(results.every((r) => r.error instanceof Error)).toBe(true);
      const metrics = retry.metrics();
      // 25 calls deposit 2.5 tokens: two retries in all across the five failing calls.
      expect(metrics.retries).toBe(2);
      expect(metrics.calls.budgetExhausted).toBe(5);
      expect(events.filter((e) => e.type === 'give_up' && e.reason === 'budget_exhausted')).toHaveLength(5);
      expect(clock.pendingTimers).toBe(0);
    });

    it('always allows minRetriesPerSecond (averaged over ttl), and deposits expire after ttl', async () => {
      const { clock, retry } = setup({ budget: { percent: 0, minRetriesPerSecond: 1, ttlMs: 2_000 }, maxAttempts: 2, backoff: { kind: 'constant', delayMs: 0 } });
      for (let i = 0; i < 4; i++) await outcome(retry.execute(outage));
      // reserve = 1/s × 2 s = 2 retries per 2 s window
      expect(retry.metrics().retries).toBe(2);
      clock.advance(2_000);
      for (let i = 0; i < 4; i++) await outcome(retry.execute(outage));
      expect(retry.metrics().retries).toBe(4);
      expect(retry.metrics().budgetAvailable).toBe(0);
    });

    it('is shared by every call of the policy, so an outage cannot multiply the load', async () => {
      const { retry } = setup({ budget: { percent: 20, minRetriesPerSecond: 0 }, maxAttempts: 5, backoff: { kind: 'constant', delayMs: 0 } });
      let attempts = 0;
      const failing = (): Promise<never> => {
        attempts++;
        return Promise.reject(new Error('outage'));
      };
      await Promise.all(Array.from({ length: 100 }, () => outcome(retry.execute(failing))));
      // Without the budget: 500 attempts. With it: 100 calls + at most 20 % retries.
      expect(attempts).toBeLessThanOrEqual(120);
      expect(attempts).toBeGreaterThan(100);
    });
  });

  describe('events, metrics, dispose', () => {
    it('counts first-attempt successes without building events when nobody listens', async () => {
      const clock = new FakeClock();
      const retry = new RetryPolicy({ clock });
      await retry.execute(async () => 1);
      expect(retry.metrics()).toMatchObject({ name: 'retry', attempts: 1, retries: 0, calls: { successful: 1 }, inFlight: 0 });
      expect(retry.metrics().budgetAvailable).toBeCloseTo(0.2 + 100, 5);
    });

    it('dispose ends waiting calls with their last error, clears their timers and completes events$', async () => {
      const { clock, retry } = setup({ backoff: CONSTANT_100 });
      let completed = false;
      retry.events$.subscribe({ complete: () => (completed = true) });
      const result = outcome(retry.execute(flaky(clock, 5).fn));
      await flush();
      expect(clock.pendingTimers).toBe(1);
      retry.dispose();
      expect((await result).error).toEqual(new Error('transient'));
      expect(clock.pendingTimers).toBe(0);
      expect(completed).toBe(true);
    });
  });

  describe('options', () => {
    it.each([
      [{ maxAttempts: 0 }, 'Retry "retry": option "maxAttempts" must be a positive integer, got 0'],
      [{ backoff: { kind: 'linear' } }, `Retry "retry": option "backoff.kind" must be 'constant' or 'exponential', got "linear"`],
      [{ backoff: { kind: 'constant', delayMs: -1 } }, 'Retry "retry": option "backoff.delayMs" must be a finite number of ms >= 0, got -1'],
      [{ backoff: { kind: 'exponential', initialMs: 500, maxDelayMs: 100 } }, 'Retry "retry": option "backoff.maxDelayMs" must be at least initialMs (500), got 100'],
      [{ backoff: { kind: 'exponential', jitter: 'some' } }, `Retry "retry": option "backoff.jitter" must be 'none', 'full' or 'decorrelated', got "some"`],
      [{ retryOn: [42] }, 'Retry "retry": option "retryOn[0]" must be an error class or a predicate, got 42'],
      [{ budget: { percent: -5 } }, 'Retry "retry": option "budget.percent" must be a number in [0, 1000], got -5'],
      [{ budget: { ttlMs: 0 } }, 'Retry "retry": option "budget.ttlMs" must be a positive finite number of ms, got 0'],
      [{ maxRetryAfterMs: Number.NaN }, 'Retry "retry": option "maxRetryAfterMs" must be a finite number of ms >= 0, got NaN'],
      [{ maxDurationMs: 0 }, 'Retry "retry": option "maxDurationMs" must be a positive finite number of ms, got 0'],
      [{ retries: 3 }, 'Retry "retry": option "retries" is not a retry option, got 3'],
    ])('rejects %j naming the option and value', (options, message) => {
      expect(() => new RetryPolicy(options as RetryOptions)).toThrow(InvalidOptionError);
      expect(() => new RetryPolicy(options as RetryOptions)).toThrow(message);
    });

    it('rejects execute() without a function', async () => {
      await expect(new RetryPolicy().execute(undefined as never)).rejects.toThrow('retry: execute(fn) needs a function');
    });
  });
});

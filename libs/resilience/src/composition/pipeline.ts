import { CircuitBreakerPolicy } from '../breaker/circuit-breaker.policy.js';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { rejectLater, sharedIdleSignal } from '../common/promises.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';

/** A policy `pipeline()` composes. */
export type PipelinePolicy = FallbackPolicy<unknown> | RetryPolicy | CircuitBreakerPolicy | BulkheadPolicy | TimeoutPolicy;

/**
 * The stages of a pipeline, outermost first. The order is fixed, whatever order the policies are given in
 * (Resilience4j's aspect order):
 *
 * fallback → retry → breaker → bulkhead → timeout → the call
 *
 * - the fallback answers only once the retries are over;
 * - each attempt goes through the breaker, so the retry sees an open breaker's rejection (and obeys its
 *   `retryAfterMs` within `maxRetryAfterMs`, the budget and the deadline, else stops);
 * - the bulkhead is inside the breaker, so its rejection (overload) reaches the breaker, which ignores it;
 * - the timeout is innermost: it bounds each attempt (not the bulkhead's queue), the breaker counts a timed-out
 *   attempt once, and the retry's deadline shortens the last attempt, so the call never takes
 *   `maxAttempts × timeoutMs`.
 */
export interface PipelineStages {
  readonly fallback?: FallbackPolicy<unknown>;
  readonly retry?: RetryPolicy;
  readonly breaker?: CircuitBreakerPolicy;
  readonly bulkhead?: BulkheadPolicy;
  readonly timeout?: TimeoutPolicy;
}

/** Answers a failure the fallback stage handles; the decorator passes one that hands the call's arguments too. */
export type FallbackAnswer = (error: unknown) => unknown;

/** The call inside every stage; `signal` is the innermost stage's (undefined for a call that takes none). */
type Inner = (signal: AbortSignal | undefined) => unknown;

/**
 * Policies composed in the fixed order of {@link PipelineStages}: one `execute` runs a call through all of
 * them. Framework-free; the decorators (`@Retry`, `@CircuitBreaker`, `@Bulkhead`, `@Timeout`, `@Fallback`,
 * `@Resilient`) compose through the same class.
 */
export class ResiliencePipeline {
  readonly stages: PipelineStages;

  constructor(stages: PipelineStages) {
    this.stages = Object.freeze({ ...stages });
  }

  /**
   * Runs `fn` through every stage. `fn` receives the innermost signal: the timeout's (aborted when the attempt
   * times out), the breaker's, or the caller's. A `fn` that declares no parameter gets none built.
   *
   * @param signal the caller's signal: once aborted nothing is retried and no fallback answers.
   * @param deadline the call's deadline on the policies' clock (ms): the retry starts no attempt past it and
   *   the timeout gives the last attempt only what is left.
   */
  execute<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal, deadline?: number): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError('pipeline: execute(fn) needs a function'));
    const takesSignal = fn.length > 0;
    const inner: Inner = takesSignal ? (s) => fn(s ?? sharedIdleSignal()) : () => fn(sharedIdleSignal());
    return this.run(inner, takesSignal, signal, deadline, undefined) as Promise<T>;
  }

  /**
   * @internal the decorators' path: `inner` is the method call, `answer` the site's fallback (which gets the
   * call's arguments); `answer` is used instead of the fallback stage's own function.
   */
  run(inner: Inner, takesSignal: boolean, signal: AbortSignal | undefined, deadline: number | undefined, answer: FallbackAnswer | undefined): Promise<unknown> {
    const { fallback, retry } = this.stages;
    let result: Promise<unknown>;
    try {
      result =
        retry === undefined
          ? this.attempt(inner, takesSignal, signal, deadline)
          : retry.execute(
              (attemptSignal, _attempt, attemptDeadline) => this.attempt(inner, takesSignal, signal === undefined ? undefined : attemptSignal, attemptDeadline),
              signal,
              deadline,
            );
    } catch (error) {
      result = rejectLater(error);
    }
    if (fallback === undefined) return result;
    return result.then(undefined, (error: unknown) => {
      if (!fallback.handles(error, signal)) throw error;
      return answer === undefined ? fallback.recover(error) : answer(error);
    });
  }

  /** One attempt: breaker → bulkhead → timeout → the call. */
  private attempt(inner: Inner, takesSignal: boolean, signal: AbortSignal | undefined, deadline: number | undefined): Promise<unknown> {
    const { breaker, bulkhead, timeout } = this.stages;
    const timed: Inner =
      timeout === undefined
        ? inner
        : (s) => (takesSignal ? timeout.execute((t) => inner(t), s, deadline) : timeout.execute(() => inner(s), s, deadline));
    const limited: Inner =
      bulkhead === undefined ? timed : (s) => (takesSignal ? bulkhead.execute((b) => timed(b), s) : bulkhead.execute(() => timed(s), s));
    if (breaker !== undefined) {
      return takesSignal ? breaker.execute((c) => limited(c), signal) : breaker.execute(() => limited(signal), signal);
    }
    return Promise.resolve(limited(signal));
  }
}

/**
 * Composes policies for code without Nest, always in the order fallback → retry → breaker → bulkhead →
 * timeout → call, whatever order they are given in (see {@link PipelineStages}). At most one policy of each kind.
 *
 * ```ts
 * const quotes = pipeline(new RetryPolicy({ maxAttempts: 3 }), new CircuitBreakerPolicy({ name: 'quotes' }), new TimeoutPolicy({ timeoutMs: 500 }));
 * const quote = await quotes.execute((signal) => fetchQuote(signal));
 * ```
 * A breaker composed here should have no `fallback` of its own (it would answer its rejections before the
 * retry sees them): give the pipeline a `FallbackPolicy` instead.
 * @throws InvalidOptionError for something that is not one of the five policies, or a second one of a kind.
 */
export function pipeline(...policies: PipelinePolicy[]): ResiliencePipeline {
  const stages: { -readonly [K in keyof PipelineStages]: PipelineStages[K] } = {};
  policies.forEach((policy, i) => {
    const kind = kindOf(policy);
    if (kind === undefined) {
      throw new InvalidOptionError('pipeline()', `policies[${i}]`, policy, 'must be a FallbackPolicy, RetryPolicy, CircuitBreakerPolicy, BulkheadPolicy or TimeoutPolicy');
    }
    if (stages[kind] !== undefined) {
      throw new InvalidOptionError('pipeline()', `policies[${i}]`, kind, `must not be a second ${kind} policy (one of each kind)`);
    }
    (stages as Record<string, unknown>)[kind] = policy;
  });
  return new ResiliencePipeline(stages);
}

function kindOf(policy: unknown): keyof PipelineStages | undefined {
  if (policy instanceof FallbackPolicy) return 'fallback';
  if (policy instanceof RetryPolicy) return 'retry';
  if (policy instanceof CircuitBreakerPolicy) return 'breaker';
  if (policy instanceof BulkheadPolicy) return 'bulkhead';
  if (policy instanceof TimeoutPolicy) return 'timeout';
  return undefined;
}

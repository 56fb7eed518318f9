import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../common/clock.js';
import type { ErrorPredicate } from '../common/error-matcher.js';
import { isThenable, rejectLater, sharedIdleSignal } from '../common/promises.js';
import { backoffDelay, type ResolvedBackoff } from './backoff.js';
import { DO_NOT_RETRY, retryAfterOf } from './retry-after.js';
import { RetryBudget } from './retry-budget.js';
import type { RetryCallCounts, RetryEvent, RetryGiveUpReason, RetryMetrics } from './retry.events.js';
import { resolveRetryOptions } from './retry.options-validation.js';
import type { RetryOptions } from './retry.options.js';

/**
 * One attempt of a retried call: `signal` is the caller's (or a signal that never aborts), `attempt` counts
 * from 1, `deadline` is the call's deadline on the policy's clock (`Infinity` when unbounded) for stages inside.
 */
export type RetryAttemptFn<T> = (signal: AbortSignal, attempt: number, deadline: number) => T | PromiseLike<T>;

/** Collaborators a test may replace. */
export interface RetryDeps {
  /** Source of randomness in [0, 1) for jittered backoff. Default `Math.random`. */
  readonly random?: () => number;
}

/** `decide()` results that end the retries, by reason; a decision >= 0 is the wait before the next attempt. */
const STOP: Record<RetryGiveUpReason, number> = {
  not_retryable: -1,
  exhausted: -2,
  budget_exhausted: -3,
  deadline: -4,
  aborted: -5,
  retry_after: -6,
};
const REASONS = Object.fromEntries(Object.entries(STOP).map(([reason, code]) => [code, reason])) as Record<number, RetryGiveUpReason>;

const ONCE = { once: true };
/** A private entry point of the policy for its helper objects (assigned in the policy's static block). */
let forgetWait: (policy: RetryPolicy, wait: Wait) => void;

/**
 * Retries failed calls: at most `maxAttempts` attempts, waiting a backoff between them, only for errors that
 * match `retryOn`, within a retry budget shared by every call of the policy, obeying the error's
 * `retryAfterMs` / gRPC pushback hint, never after the caller's signal aborted and never when the next wait
 * would end at or past the deadline. The caller gets the first success, or the last attempt's error.
 *
 * Framework-free: usable without Nest. Waits are timers of `options.clock`, one per waiting call (an idle
 * policy holds none); a wait of 0 ms retries at once, without a timer.
 */
export class RetryPolicy {
  /** `options.name`, default `retry`. */
  readonly name: string;
  /** `options.maxAttempts`: attempts in all, the first included. */
  readonly maxAttempts: number;

  /** The policy's clock: `execute`'s `deadline` is a reading of it. */
  readonly clock: Clock;

  private subject: Subject<RetryEvent> | undefined;
  private eventsView: Observable<RetryEvent> | undefined;
  private readonly random: () => number;
  private readonly backoff: ResolvedBackoff;
  private readonly retryOn: readonly ErrorPredicate[] | undefined;
  private readonly budget: RetryBudget | undefined;
  private readonly maxRetryAfterMs: number;
  private readonly maxDurationMs: number;
  /** Counts kept as fields, to keep an idle policy small. */
  private attempts = 0;
  private retries = 0;
  private inFlight = 0;
  private readonly calls: RetryCallCounts = {
    successful: 0,
    successfulAfterRetry: 0,
    notRetryable: 0,
    exhausted: 0,
    budgetExhausted: 0,
    deadline: 0,
    aborted: 0,
    retryAfter: 0,
  };
  /** Calls waiting for their next attempt; `dispose()` ends them. */
  private readonly waiting = new Set<Wait>();
  private disposed = false;
  /** The first attempt's success handler, shared by every call. */
  private readonly onFirstSuccess: (value: unknown) => unknown;

  /**
   * @param options validated here; a bad value throws `InvalidOptionError` naming the option and value.
   * @param deps replaceable collaborators (tests pass a fixed `random` to check jittered backoff).
   */
  constructor(options?: RetryOptions, deps: RetryDeps = {}) {
    const o = resolveRetryOptions(options);
    this.name = o.name;
    this.maxAttempts = o.maxAttempts;
    this.clock = o.clock;
    this.random = deps.random ?? Math.random;
    this.backoff = o.backoff;
    this.retryOn = o.retryOn;
    this.maxRetryAfterMs = o.maxRetryAfterMs;
    this.maxDurationMs = o.maxDurationMs;
    const budget = o.budget;
    this.budget =
      budget === undefined ? undefined : new RetryBudget(budget.percent / 100, (budget.minRetriesPerSecond * budget.ttlMs) / 1_000, budget.ttlMs);
    this.onFirstSuccess = (value) => {
      this.inFlight--;
      this.calls.successful++;
      if (this.isObserved()) this.emit({ type: 'success', retry: this.name, at: this.clock.now(), attempts: 1 });
      return value;
    };
  }

  /** Hot stream of retries, successes and give-ups; event objects are built only while someone subscribes. Completes on `dispose()`. */
  get events$(): Observable<RetryEvent> {
    if (this.eventsView === undefined) {
      this.subject = new Subject<RetryEvent>();
      if (this.disposed) this.subject.complete();
      this.eventsView = this.subject.asObservable();
    }
    return this.eventsView;
  }

  /**
   * Runs `fn`, retrying it as the options say. Resolves with the first success; rejects with the last
   * attempt's error, or with the signal's reason once the caller aborted (also while waiting: the wait ends at once).
   *
   * @param signal the caller's signal, handed to every attempt; once aborted nothing is retried.
   * @param deadline the call's deadline on the policy's clock (ms, as `clock.now()`); `maxDurationMs`, if
   *   set, may bring it nearer. No retry starts whose wait would end at or past it; attempts in flight are not
   *   cut short here (a timeout stage inside the retry does that, see `pipeline()`).
   */
  execute<T>(fn: RetryAttemptFn<T>, signal?: AbortSignal, deadline?: number): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError(`${this.name}: execute(fn) needs a function`));
    if (signal !== undefined && signal.aborted) return this.abortedBeforeStart(signal);
    let until = deadline ?? Number.POSITIVE_INFINITY;
    // The clock is read only when something needs the time: the budget, or a duration bound.
    const now = this.budget !== undefined || this.maxDurationMs !== Number.POSITIVE_INFINITY ? this.clock.now() : Number.NaN;
    if (this.maxDurationMs !== Number.POSITIVE_INFINITY) until = Math.min(until, now + this.maxDurationMs);
    this.budget?.recordCall(now);
    this.attempts++;
    this.inFlight++;
    let result: T | PromiseLike<T>;
    try {
      result = fn(signal ?? sharedIdleSignal(), 1, until);
    } catch (error) {
      return this.retryAfterFailure(fn, signal, until, error);
    }
    if (!isThenable(result)) return Promise.resolve(this.onFirstSuccess(result) as T);
    return Promise.resolve(result).then(this.onFirstSuccess as (value: T) => T, (error: unknown) =>
      this.retryAfterFailure(fn, signal, until, error),
    );
  }

  /** A point-in-time view: attempts, retries, calls by outcome, budget left. */
  metrics(): RetryMetrics {
    return {
      name: this.name,
      attempts: this.attempts,
      retries: this.retries,
      calls: { ...this.calls },
      inFlight: this.inFlight,
      budgetAvailable: this.budget === undefined ? Number.POSITIVE_INFINITY : this.budget.available(this.clock.now()),
    };
  }

  /**
   * Ends every wait (those calls reject with their last error, counted as aborted; no timer survives) and
   * completes `events$`. Calls keep working afterwards, without retries.
   */
  dispose(): void {
    this.disposed = true;
    // Deleting from a Set while iterating it is safe: a deleted entry is not visited.
    for (const wait of this.waiting) wait.end(false);
    this.subject?.complete();
  }

  /** The first attempt failed: retry while the rules allow, then answer with the last outcome. */
  private async retryAfterFailure<T>(fn: RetryAttemptFn<T>, signal: AbortSignal | undefined, deadline: number, error: unknown): Promise<T> {
    let attempt = 1;
    let previousDelay = 0;
    try {
      for (;;) {
        const decision = this.decide(error, attempt, signal, deadline, previousDelay);
        if (decision < 0) {
          this.giveUp(REASONS[decision]!, attempt, error);
          throw decision === STOP.aborted ? signal!.reason : error;
        }
        if (this.isObserved()) {
          this.emit({ type: 'retry', retry: this.name, at: this.clock.now(), attempt, delayMs: decision, error });
        }
        previousDelay = decision;
        if (decision > 0 && !(await this.wait(decision, signal))) {
          this.giveUp('aborted', attempt, error);
          throw signal?.aborted ? signal.reason : error;
        }
        attempt++;
        this.attempts++;
        this.retries++;
        try {
          const value = await fn(signal ?? sharedIdleSignal(), attempt, deadline);
          this.calls.successfulAfterRetry++;
          if (this.isObserved()) this.emit({ type: 'success', retry: this.name, at: this.clock.now(), attempts: attempt });
          return value;
        } catch (failure) {
          error = failure;
        }
      }
    } finally {
      this.inFlight--;
    }
  }

  /** The wait before attempt `attempt + 1`, or a negative `STOP` code. */
  private decide(error: unknown, attempt: number, signal: AbortSignal | undefined, deadline: number, previousDelay: number): number {
    if (signal !== undefined && signal.aborted) return STOP.aborted;
    if (this.disposed) return STOP.aborted;
    if (!this.isRetryable(error)) return STOP.not_retryable;
    if (attempt >= this.maxAttempts) return STOP.exhausted;
    const hint = retryAfterOf(error);
    if (hint === DO_NOT_RETRY || hint > this.maxRetryAfterMs) return STOP.retry_after;
    let delay = backoffDelay(this.backoff, attempt, previousDelay, this.backoff.jitter === 'none' ? 0 : this.random());
    if (hint > delay) delay = hint;
    delay = Math.ceil(delay);
    const now = deadline !== Number.POSITIVE_INFINITY || this.budget !== undefined ? this.clock.now() : Number.NaN;
    if (now + delay >= deadline) return STOP.deadline;
    if (this.budget !== undefined && !this.budget.tryWithdraw(now)) return STOP.budget_exhausted;
    return delay;
  }

  /** `retryOn` decides; a matcher that throws makes the error not retryable. */
  private isRetryable(error: unknown): boolean {
    const retryOn = this.retryOn;
    if (retryOn === undefined) return true;
    try {
      for (const matches of retryOn) if (matches(error)) return true;
    } catch {
      return false;
    }
    return false;
  }

  /** Resolves true after `ms`, or false as soon as the caller aborts (or the policy is disposed). */
  private wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const wait = new Wait(this, signal, resolve);
      this.waiting.add(wait);
      wait.timer = this.clock.setTimeout(() => wait.end(true), ms);
      if (signal !== undefined) signal.addEventListener('abort', wait, ONCE);
    });
  }

  private giveUp(reason: RetryGiveUpReason, attempts: number, error: unknown): void {
    switch (reason) {
      case 'not_retryable':
        this.calls.notRetryable++;
        break;
      case 'exhausted':
        this.calls.exhausted++;
        break;
      case 'budget_exhausted':
        this.calls.budgetExhausted++;
        break;
      case 'deadline':
        this.calls.deadline++;
        break;
      case 'aborted':
        this.calls.aborted++;
        break;
      default:
        this.calls.retryAfter++;
    }
    if (this.isObserved()) this.emit({ type: 'give_up', retry: this.name, at: this.clock.now(), attempts, reason, error });
  }

  private abortedBeforeStart<T>(signal: AbortSignal): Promise<T> {
    this.calls.aborted++;
    if (this.isObserved()) {
      this.emit({ type: 'give_up', retry: this.name, at: this.clock.now(), attempts: 0, reason: 'aborted', error: signal.reason });
    }
    return rejectLater(signal.reason);
  }

  private isObserved(): boolean {
    return this.subject !== undefined && this.subject.observed;
  }

  private emit(event: RetryEvent): void {
    this.subject!.next(event);
  }

  static {
    forgetWait = (policy, wait) => {
      policy.waiting.delete(wait);
      if (wait.timer !== undefined) policy.clock.clearTimeout(wait.timer);
    };
  }
}

/** One call waiting for its next attempt; its own abort listener. */
class Wait {
  timer: TimerHandle | undefined = undefined;
  private done = false;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (elapsed: boolean) => void,
  ) {}

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.end(false);
  }

  end(elapsed: boolean): void {
    if (this.done) return;
    this.done = true;
    if (elapsed) this.timer = undefined;
    forgetWait(this.policy, this);
    this.signal?.removeEventListener('abort', this);
    this.resolve(elapsed);
  }
}

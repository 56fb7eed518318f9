import { Subject, type Observable } from 'rxjs';
import type { Clock, TimerHandle } from '../common/clock.js';
import { isThenable, rejectLater, sharedIdleSignal, withoutStack } from '../common/promises.js';
import { isBulkheadRejectedError } from '../bulkhead/errors/bulkhead-rejected.error.js';
import type {
  CallCounts,
  CircuitBreakerEvent,
  CircuitBreakerMetrics,
  FailureEvent,
  StateChangeEvent,
} from './circuit-breaker.events.js';
import type { CircuitBreakerOptions, FallbackFn } from './circuit-breaker.options.js';
import {
  resolveCircuitBreakerOptions,
  type ErrorPredicate,
  type ResolvedOpenDuration,
} from './circuit-breaker.options-validation.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.snapshot.js';
import { CircuitState } from './circuit-state.js';
import { createCircuitBreakerOpenError, type CircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { CircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';
import { createFailureWindow } from './windows/create-failure-window.js';
import type { FailureWindow } from './windows/failure-window.js';

/**
 * One admitted call, for callers that cannot hand the breaker a function returning a promise (an rxjs
 * Observable, a stream): report exactly one outcome. Every method is a no-op once the call has settled,
 * including after the breaker timed it out.
 */
export interface BreakerPermit {
  /**
   * The call's own signal. With `timeoutMs` it is a per-call signal, merged with the caller's, aborted
   * with a `CircuitBreakerTimeoutError` reason when the call times out (listen to it: that is how a
   * permit holder learns of the timeout). Without `timeoutMs` the breaker never aborts anything, and this
   * is the caller's signal, or a shared signal that never aborts.
   */
  readonly signal: AbortSignal;
  /** The call returned `result`; `recordResult` decides whether it counts as a failure. */
  success(result?: unknown): void;
  /** The call failed; `ignoreErrors` / `recordErrors` decide whether it counts. Ignored when the caller aborted. */
  failure(error: unknown): void;
  /** The call was abandoned (e.g. an unsubscribed Observable): counted as ignored. */
  cancel(): void;
}

/** Collaborators a test may replace. */
export interface CircuitBreakerDeps {
  /** Source of randomness in [0, 1) for open-duration jitter. Default `Math.random`. */
  readonly random?: () => number;
}

const SUCCESS = 0;
const FAILURE = 1;
const IGNORED = 2;

/** `admit()` results besides a probe slot index. */
const REGULAR = -1;
const NOT_PERMITTED = -2;

/** Half-open probe slot states. */
const FREE = 0;
const RUNNING = 1;
const COUNTED = 2;

const ONCE = { once: true };

/**
 * Longest wait of a timed call for its deadline stamp (see `track`): `timeoutMs / 16`, at least 1 ms (a
 * Node timer's resolution), at most 50 ms.
 */
function tickOf(timeoutMs: number): number {
  return Math.min(Math.max(timeoutMs / 16, 1), 50);
}

/** Private entry points of the policy for its permits (assigned in the policy's static block, so declared before it). */
interface PolicyInternals {
  settleValue(policy: CircuitBreakerPolicy, call: Call, value: unknown): void;
  settleError(policy: CircuitBreakerPolicy, call: Call, error: unknown): void;
  settleIgnored(policy: CircuitBreakerPolicy, call: Call): void;
  answerValue(policy: CircuitBreakerPolicy, call: Call, value: unknown): void;
  answerError(policy: CircuitBreakerPolicy, call: Call, error: unknown): void;
}
let internals: PolicyInternals;

/**
 * Guards the circuit around calls to one dependency.
 *
 * - States: CLOSED → OPEN when the failure window trips; OPEN → HALF_OPEN once the open duration has
 *   elapsed (computed when the state is read or a call arrives: no timer); HALF_OPEN admits
 *   `permittedCallsInHalfOpen` probes, rejects everyone else, and closes or re-opens as soon as their
 *   outcome is decided. FORCED_OPEN, DISABLED and METRICS_ONLY are set by an operator and left by `reset()`.
 * - Every transition starts a new generation: a result from a call admitted in an earlier generation is
 *   counted in the totals and events but never moves the state.
 * - Outcomes: success, failure, ignored (classified out, or cancelled by the caller's signal) and
 *   not permitted.
 * - Timeouts: with `timeoutMs`, calls share one clock timer armed for the oldest deadline; it lapses
 *   when it finds no call waiting instead of being cleared and re-armed per call. A call times out
 *   between `timeoutMs` and `timeoutMs` + a tick after it started (see `track`).
 *
 * Framework-free: usable without Nest. Time comes from `options.clock`.
 */
export class CircuitBreakerPolicy {
  /** `options.name`, default `circuit-breaker`. */
  readonly name: string;
  /** Per-call timeout in ms (`options.timeoutMs`); 0 when calls have no timeout. */
  readonly timeoutMs: number;

  /** Created on first access to `events$`: most breakers are never observed. */
  private subject: Subject<CircuitBreakerEvent> | undefined;
  private eventsView: Observable<CircuitBreakerEvent> | undefined;
  /** Created on first access to `stateChanges$`; observing it costs nothing per call. */
  private stateSubject: Subject<StateChangeEvent> | undefined;
  private stateChangesView: Observable<StateChangeEvent> | undefined;
  /** Created on first access to `failures$`; observing it costs nothing per successful call. */
  private failureSubject: Subject<FailureEvent> | undefined;
  private failuresView: Observable<FailureEvent> | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly window: FailureWindow;
  private readonly windowNeedsTime: boolean;
  private readonly slowCallDurationMs: number;
  private readonly openDuration: ResolvedOpenDuration;
  private readonly permittedCallsInHalfOpen: number;
  private readonly successesToClose: number;
  private readonly maxWaitInHalfOpenMs: number;
  /** How long a probe can hold HALF_OPEN: `maxWaitInHalfOpenMs`, or the call timeout when shorter. */
  private readonly probeLeaseMs: number;
  private readonly recordErrors: readonly ErrorPredicate[] | undefined;
  private readonly ignoreErrors: readonly ErrorPredicate[];
  private readonly recordResult: ((result: unknown) => boolean) | undefined;
  private readonly fallback: FallbackFn | undefined;
  private readonly fallbackOnFailure: boolean;

  private current: CircuitState = CircuitState.CLOSED;
  private since: number;
  /** Start of the current (or, in HALF_OPEN, the last) OPEN period. */
  private openedAt = 0;
  private openUntil = 0;
  private generation = 0;
  private consecutiveTrips = 0;
  private transitions = 0;
  private operatorReason: string | undefined;
  /** Totals by outcome (`CallCounts`), kept as fields to keep an idle breaker small. */
  private successful = 0;
  private failed = 0;
  private ignored = 0;
  private notPermittedCount = 0;
  private timedOut = 0;
  private slow = 0;
  private inFlight = 0;

  /** Per probe slot: FREE, RUNNING or COUNTED, and its admission time; allocated on the first half-open. */
  private probeStatus: number[] | undefined;
  private probeStart: number[] | undefined;
  private probesTaken = 0;
  private probeSuccesses = 0;
  private probeFailures = 0;

  /**
   * Timed calls in deadline order (one timeout length, so FIFO) from `head` to `tail`. A call that settles
   * is only marked; settled calls are popped when they reach the head.
   */
  private deadlines: (Call | undefined)[] | undefined;
  private head = 0;
  private tail = 0;
  /** The one timer: armed a tick ahead from idle, then for the head's deadline; it lapses when it finds the queue empty. */
  private timer: TimerHandle | undefined;
  /** When `timer` fires, on the clock. */
  private timerAt = 0;
  /** The last clock reading taken for deadlines (at a call's start or a timer firing); meaningful once a timer was armed. */
  private lastReading = 0;
  private disposed = false;
  private onDeadline: (() => void) | undefined;
  /** Promise handlers of untracked calls, shared by every call of one generation. */
  private handlersGeneration = -1;
  private onUntrackedValue: (value: unknown) => void = ignoreOutcome;
  private onUntrackedError: (error: unknown) => void = ignoreOutcome;
  /** Clock reading of the last `admit()` that read the clock (OPEN, HALF_OPEN), for its rejection. */
  private admittedAt = 0;
  /** The last function a timed `execute` was given, and whether it declares a parameter for the signal. */
  private lastFn: unknown = undefined;
  private lastFnTakesSignal = false;

  /**
   * @param options validated here; a bad value throws `InvalidOptionError` naming the option and value.
   * @param deps replaceable collaborators (tests pass a fixed `random` to check jittered backoff).
   */
  constructor(options?: CircuitBreakerOptions, deps: CircuitBreakerDeps = {}) {
    const o = resolveCircuitBreakerOptions(options);
    this.name = o.name;
    this.clock = o.clock;
    this.random = deps.random ?? Math.random;
    this.window = createFailureWindow(o.window, o);
    this.windowNeedsTime = this.window.needsTime;
    this.slowCallDurationMs = o.slowCallDurationMs;
    this.openDuration = o.openDuration;
    this.permittedCallsInHalfOpen = o.permittedCallsInHalfOpen;
    // The smallest number of successful probes whose ratio meets the threshold (the epsilon absorbs float noise).
    this.successesToClose = Math.max(1, Math.ceil((o.permittedCallsInHalfOpen * o.halfOpenSuccessRateThreshold) / 100 - 1e-9));
    this.maxWaitInHalfOpenMs = o.maxWaitInHalfOpenMs;
    this.timeoutMs = o.timeoutMs;
    // A timed probe settles (at the latest as a timeout) within its timeout, before its lease runs out.
    this.probeLeaseMs = o.timeoutMs > 0 ? Math.min(o.timeoutMs, o.maxWaitInHalfOpenMs) : o.maxWaitInHalfOpenMs;
    this.recordErrors = o.recordErrors;
    this.ignoreErrors = o.ignoreErrors;
    this.recordResult = o.recordResult;
    this.fallback = o.fallback;
    this.fallbackOnFailure = o.fallbackOnFailure && o.fallback !== undefined;

    const saved = o.initialState;
    if (saved === undefined) {
      this.since = this.clock.now();
      return;
    }
    this.current = saved.state === CircuitState.HALF_OPEN ? CircuitState.OPEN : saved.state;
    this.since = saved.stateSince;
    if (this.current === CircuitState.OPEN) {
      this.openedAt = saved.stateSince;
      this.openUntil = saved.openUntil!;
    }
    this.consecutiveTrips = saved.consecutiveTrips;
    this.transitions = saved.transitions;
    this.successful = saved.calls.successful;
    this.failed = saved.calls.failed;
    this.ignored = saved.calls.ignored;
    this.notPermittedCount = saved.calls.notPermitted;
    this.timedOut = saved.calls.timedOut;
    this.slow = saved.calls.slow;
    if (isOperatorState(this.current)) this.operatorReason = saved.reason;
  }

  /**
   * Hot stream of state changes and call outcomes. Event objects are built only while someone is
   * subscribed. Completes on `dispose()`.
   */
  get events$(): Observable<CircuitBreakerEvent> {
    if (this.eventsView === undefined) {
      this.subject = new Subject<CircuitBreakerEvent>();
      if (this.disposed) this.subject.complete();
      this.eventsView = this.subject.asObservable();
    }
    return this.eventsView;
  }

  /**
   * Hot stream of state changes only (the `state_change` events of `events$`). Unlike `events$`, a
   * subscriber here costs nothing per call: health and metrics follow breakers through it and read
   * call counts from {@link metrics} when asked. Completes on `dispose()`.
   */
  get stateChanges$(): Observable<StateChangeEvent> {
    if (this.stateChangesView === undefined) {
      this.stateSubject = new Subject<StateChangeEvent>();
      if (this.disposed) this.stateSubject.complete();
      this.stateChangesView = this.stateSubject.asObservable();
    }
    return this.stateChangesView;
  }

  /**
   * Hot stream of the failures the breaker counts (errors it records, failing results, timeouts), each
   * emitted once the breaker has applied it (so a failure that trips it arrives after the `state_change`).
   * Unlike `events$`, a subscriber here costs nothing per successful call: the health module follows the
   * breakers a component `guards` through it. Completes on `dispose()`.
   */
  get failures$(): Observable<FailureEvent> {
    if (this.failuresView === undefined) {
      this.failureSubject = new Subject<FailureEvent>();
      if (this.disposed) this.failureSubject.complete();
      this.failuresView = this.failureSubject.asObservable();
    }
    return this.failuresView;
  }

  /** The current state; an elapsed open duration or an expired probe lease is applied on read. */
  get state(): CircuitState {
    if (this.current === CircuitState.OPEN || this.current === CircuitState.HALF_OPEN) this.refresh(this.clock.now());
    return this.current;
  }

  /**
   * Runs `fn` under the breaker. Resolves with its result (also when `recordResult` counts it as a
   * failure); rejects with its error, with `CircuitBreakerOpenError` when not permitted, or with
   * `CircuitBreakerTimeoutError` after `timeoutMs`, unless the fallback answers: it runs for rejections
   * and timeouts, and for counted failures with `fallbackOnFailure`, called as `fallback(...args, error)`.
   *
   * `fn` receives the call's signal. Building a per-call `AbortSignal` costs microseconds on Node 20, so
   * the breaker builds one only when it can abort it (with `timeoutMs`) and `fn` declares a parameter to
   * receive it; otherwise `fn` gets `signal`, or a shared signal that never aborts.
   *
   * Without `timeoutMs` and `fallbackOnFailure`, the promise returned is `fn`'s own (a native promise
   * `fn` returned): the breaker records the outcome in a reaction attached before the caller's, so the
   * caller always sees it counted. That reaction also marks the promise handled, so a caller that drops
   * a failed call's promise gets no unhandled-rejection report for it.
   *
   * @param signal the caller's signal: a call it aborts is ignored, never a failure; if already aborted,
   *   `fn` is not called and the promise rejects with its reason.
   * @param args the original call's arguments, handed to the fallback.
   */
  execute<T>(
    fn: (signal: AbortSignal) => T | PromiseLike<T>,
    signal?: AbortSignal,
    args?: readonly unknown[],
  ): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError(`${this.name}: execute(fn) needs a function`));
    return this.run(fn as Invocable<T>, undefined, undefined, signal, args);
  }

  /**
   * Runs `method.apply(target, methodArgs)` under the breaker as `execute` runs a function, without a
   * closure per call; the method is handed no signal. The fallback, if any, is called with the error only.
   * @internal the decorator's call path for methods that take no `@BreakerSignal()`.
   */
  executeMethod<T>(target: unknown, method: (...args: never[]) => T | PromiseLike<T>, methodArgs: unknown[]): Promise<T> {
    return this.run(method as Invocable<T>, target, methodArgs, undefined, undefined);
  }

  /** `fn(signal)` when `methodArgs` is undefined, else `fn.apply(target, methodArgs)`. */
  private run<T>(
    fn: Invocable<T>,
    target: unknown,
    methodArgs: unknown[] | undefined,
    signal: AbortSignal | undefined,
    args: readonly unknown[] | undefined,
  ): Promise<T> {
    if (signal !== undefined && signal.aborted) return this.cancelledBeforeStart(signal);
    const slot = this.admit();
    if (slot === NOT_PERMITTED) return this.answerRejection(this.notPermitted(this.admittedAt), args) as Promise<T>;
    const startedAt = this.startTime();
    this.inFlight++;
    if (slot === REGULAR && signal === undefined && this.timeoutMs === 0 && !this.fallbackOnFailure && startedAt !== startedAt) {
      return this.runUntracked(fn, target, methodArgs);
    }
    const call = new Call(this, this.generation, slot, startedAt, signal);
    return this.timeoutMs === 0 ? this.runTracked(call, fn, target, methodArgs, args) : this.runTimed(call, fn, target, methodArgs, args);
  }

  /** A call without timeout that needs its own bookkeeping (probe, caller signal, timing or fallback). */
  private runTracked<T>(
    call: Call,
    fn: Invocable<T>,
    target: unknown,
    methodArgs: unknown[] | undefined,
    args: readonly unknown[] | undefined,
  ): Promise<T> {
    let result: T | PromiseLike<T>;
    try {
      result = methodArgs === undefined ? fn(call.callerSignal ?? sharedIdleSignal()) : fn.apply(target, methodArgs);
    } catch (error) {
      return this.failureAnswered(call, error) ? (this.runFallback(args, error) as Promise<T>) : rejectLater(error);
    }
    if (!isThenable(result)) {
      this.settleValue(call, result);
      return Promise.resolve(result);
    }
    const answer = Promise.resolve(result);
    if (!this.fallbackOnFailure) {
      // The caller gets `fn`'s own promise; the outcome is recorded by a reaction registered before the
      // caller's, so a failure is recorded without rethrowing it (a throw in a reaction costs microseconds).
      watch(call, answer);
      return answer;
    }
    return answer.then(
      (value) => {
        this.settleValue(call, value);
        return value;
      },
      (error: unknown) => {
        if (this.failureAnswered(call, error)) return this.runFallback(args, error) as Promise<T>;
        throw error;
      },
    );
  }

  /**
   * The common case (CLOSED, no timeout, no caller signal, no timing) needs nothing per call but the
   * generation, so the promise handlers are built once per generation instead of once per call. As in
   * `runTracked`, the caller gets `fn`'s own promise and the outcome is recorded by an earlier reaction.
   */
  private runUntracked<T>(fn: Invocable<T>, target: unknown, methodArgs: unknown[] | undefined): Promise<T> {
    const generation = this.generation;
    let result: T | PromiseLike<T>;
    try {
      result = methodArgs === undefined ? fn(sharedIdleSignal()) : fn.apply(target, methodArgs);
    } catch (error) {
      this.record(generation, REGULAR, Number.NaN, this.classify(undefined, error), error, false);
      return rejectLater(error);
    }
    if (!isThenable(result)) {
      this.record(generation, REGULAR, Number.NaN, this.resultKind(result), result, false);
      return Promise.resolve(result);
    }
    if (this.handlersGeneration !== generation) this.buildUntrackedHandlers(generation);
    const answer = Promise.resolve(result);
    void answer.then(this.onUntrackedValue, this.onUntrackedError);
    return answer;
  }

  private buildUntrackedHandlers(generation: number): void {
    this.handlersGeneration = generation;
    this.onUntrackedValue = (value) => {
      this.record(generation, REGULAR, Number.NaN, this.resultKind(value), value, false);
    };
    this.onUntrackedError = (error) => {
      this.record(generation, REGULAR, Number.NaN, this.classify(undefined, error), error, false);
    };
  }

  /**
   * Admits one call and returns its permit, for callers that report the outcome themselves (the
   * decorator uses it for Observables). The fallback does not run here.
   * @throws CircuitBreakerOpenError when the call is not permitted (and emits `rejected`).
   */
  tryAcquire(signal?: AbortSignal): BreakerPermit {
    const slot = this.admit();
    if (slot === NOT_PERMITTED) throw this.notPermitted(this.admittedAt);
    const call = new Call(this, this.generation, slot, this.startTime(), signal);
    this.inFlight++;
    if (this.timeoutMs !== 0) this.track(call);
    return call;
  }

  /**
   * Whether this breaker counts `error` as a failure, by its `ignoreErrors` (which win) and `recordErrors`.
   * Callers that answer a failed call themselves (e.g. a fallback on failure) use it to agree with the breaker.
   */
  isRecordedError(error: unknown): boolean {
    return this.classify(undefined, error) === FAILURE;
  }

  /** A point-in-time view: totals by outcome, window rates, state and time in state. */
  metrics(): CircuitBreakerMetrics {
    const now = this.clock.now();
    this.refresh(now);
    const window = this.window.stats(now);
    return {
      name: this.name,
      state: this.current,
      calls: this.callCounts(),
      failureRate: window.failureRate,
      slowCallRate: window.slowCallRate,
      bufferedCalls: window.bufferedCalls,
      inFlight: this.inFlight,
      timeInStateMs: now - this.since,
      transitions: this.transitions,
      consecutiveTrips: this.consecutiveTrips,
    };
  }

  /** Operator hold: FORCED_OPEN rejects every call until `reset()` (or another operator state). */
  forceOpen(reason: string): void {
    this.operate(CircuitState.FORCED_OPEN, reason);
  }

  /** Operator bypass: DISABLED permits every call, still records outcomes, never transitions. */
  disable(reason: string): void {
    this.operate(CircuitState.DISABLED, reason);
  }

  /** Shadow mode: METRICS_ONLY records and emits like CLOSED but never rejects or transitions. */
  metricsOnly(reason: string): void {
    this.operate(CircuitState.METRICS_ONLY, reason);
  }

  /**
   * Ends the open period now: an OPEN breaker goes HALF_OPEN, so its next calls are probes. For a caller
   * that knows the dependency answers again (the health module calls it when a check of a component the
   * breaker `guards` passes) instead of waiting out the open duration. Every other state is left alone:
   * CLOSED and HALF_OPEN have no open period to end, and FORCED_OPEN, DISABLED and METRICS_ONLY hold until
   * an operator leaves them. The open backoff is kept: a failed probe re-opens for the next, longer duration.
   * @param reason the `state_change` event's reason, e.g. `health check of "database" passed`.
   * @returns whether the breaker moved to HALF_OPEN.
   */
  halfOpen(reason: string): boolean {
    const now = this.clock.now();
    this.refresh(now);
    if (this.current !== CircuitState.OPEN) return false;
    // As when the duration elapses: `toJSON` saves HALF_OPEN as an OPEN period that has ended.
    this.openUntil = now;
    this.moveTo(CircuitState.HALF_OPEN, now, reason);
    return true;
  }

  /** Back to CLOSED with an empty window and the open backoff reset; also the way out of operator states. */
  reset(reason = 'reset'): void {
    const now = this.clock.now();
    this.refresh(now);
    if (this.current !== CircuitState.CLOSED) {
      this.moveTo(CircuitState.CLOSED, now, `operator: ${reason}`);
      return;
    }
    // Already closed: start over without a transition; calls in flight no longer count in the window.
    this.generation++;
    this.consecutiveTrips = 0;
    this.window.reset();
  }

  /**
   * Serialisable state, restorable through `initialState`. HALF_OPEN is saved as the OPEN period it came
   * from (its open time and elapsed `openUntil`), so the restored breaker half-opens on first use with
   * every probe slot free; `transitions` then excludes that half-open transition, which restore replays.
   */
  toJSON(): CircuitBreakerSnapshot {
    this.refresh(this.clock.now());
    const halfOpen = this.current === CircuitState.HALF_OPEN;
    const open = halfOpen || this.current === CircuitState.OPEN;
    const snapshot: CircuitBreakerSnapshot = {
      name: this.name,
      state: open ? CircuitState.OPEN : this.current,
      stateSince: open ? this.openedAt : this.since,
      consecutiveTrips: this.consecutiveTrips,
      transitions: halfOpen ? this.transitions - 1 : this.transitions,
      calls: this.callCounts(),
    };
    if (open) snapshot.openUntil = this.openUntil;
    if (this.operatorReason !== undefined) snapshot.reason = this.operatorReason;
    return snapshot;
  }

  /**
   * Clears the timeout timer and completes `events$`. Calls in flight keep running but no longer time
   * out; the breaker still answers calls, without timeouts or events.
   */
  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFn = undefined;
    this.subject?.complete();
    this.stateSubject?.complete();
    this.failureSubject?.complete();
  }

  static {
    internals = {
      settleValue: (policy, call, value) => policy.settleValue(call, value),
      settleError: (policy, call, error) => policy.settle(call, policy.classify(call.callerSignal, error), error, false),
      settleIgnored: (policy, call) => policy.settle(call, IGNORED, undefined, false),
      answerValue: (policy, call, value) => {
        policy.settleValue(call, value);
        call.resolve!(value);
      },
      answerError: (policy, call, error) => {
        if (policy.failureAnswered(call, error)) call.resolve!(policy.runFallback(call.args, error));
        else call.reject!(error);
      },
    };
  }

  private callCounts(): CallCounts {
    return {
      successful: this.successful,
      failed: this.failed,
      ignored: this.ignored,
      notPermitted: this.notPermittedCount,
      timedOut: this.timedOut,
      slow: this.slow,
    };
  }

  private isObserved(): boolean {
    return this.subject !== undefined && this.subject.observed;
  }

  // --- admission -------------------------------------------------------------------------------

  /** A probe slot index, REGULAR, or NOT_PERMITTED. */
  private admit(): number {
    switch (this.current) {
      case CircuitState.CLOSED:
      case CircuitState.DISABLED:
      case CircuitState.METRICS_ONLY:
        return REGULAR;
      case CircuitState.FORCED_OPEN:
        return NOT_PERMITTED;
      default:
        return this.admitWhileOpen();
    }
  }

  /** Reads the clock once; a rejection reuses that reading (`admittedAt`) for its `retryAfterMs` and event. */
  private admitWhileOpen(): number {
    const now = this.clock.now();
    this.refresh(now);
    if (this.current !== CircuitState.OPEN && this.current !== CircuitState.HALF_OPEN) return this.admit();
    // Set after `refresh`, whose events may run a subscriber that calls this breaker again.
    this.admittedAt = now;
    if (this.current === CircuitState.OPEN || this.probesTaken >= this.permittedCallsInHalfOpen) return NOT_PERMITTED;
    const status = this.probeStatus!;
    for (let slot = 0; slot < status.length; slot++) {
      if (status[slot] === FREE) {
        status[slot] = RUNNING;
        this.probeStart![slot] = now;
        this.probesTaken++;
        return slot;
      }
    }
    return NOT_PERMITTED;
  }

  /**
   * Counts and announces a rejection; the error is built without a stack capture, its message on first read.
   * @param admittedAt the clock reading that decided an OPEN or HALF_OPEN rejection (unused when FORCED_OPEN).
   */
  private notPermitted(admittedAt: number): CircuitBreakerOpenError {
    const state = this.current;
    // FORCED_OPEN rejects without reading the clock, and needs a reading only for an event.
    const now = state !== CircuitState.FORCED_OPEN ? admittedAt : this.isObserved() ? this.clock.now() : Number.NaN;
    let retryAfterMs = -1;
    if (state === CircuitState.OPEN) retryAfterMs = Math.max(0, Math.ceil(this.openUntil - now));
    else if (state === CircuitState.HALF_OPEN) retryAfterMs = this.untilOldestProbeLeaseEnds(now);
    this.notPermittedCount++;
    if (this.isObserved()) {
      this.subject!.next({ type: 'rejected', breaker: this.name, at: now, state, retryAfterMs });
    }
    return createCircuitBreakerOpenError(this.name, state, retryAfterMs);
  }

  private untilOldestProbeLeaseEnds(now: number): number {
    const status = this.probeStatus!;
    const start = this.probeStart!;
    let oldest = Number.POSITIVE_INFINITY;
    for (let slot = 0; slot < status.length; slot++) {
      if (status[slot] === RUNNING && start[slot]! < oldest) oldest = start[slot]!;
    }
    // The state lasts until the oldest probe settles: at the latest when its timeout or its lease runs out.
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, Math.ceil(oldest + this.probeLeaseMs - now));
  }

  private cancelledBeforeStart<T>(signal: AbortSignal): Promise<T> {
    this.ignored++;
    if (this.isObserved()) {
      this.subject!.next({ type: 'ignored', breaker: this.name, at: this.clock.now(), durationMs: 0, error: signal.reason });
    }
    return rejectLater(signal.reason);
  }

  // --- answering the caller -------------------------------------------------------------------

  private answerRejection(error: CircuitBreakerOpenError, args: readonly unknown[] | undefined): Promise<unknown> {
    return this.fallback === undefined ? rejectLater(error) : this.runFallback(args, error);
  }

  /** Records a thrown error; true when the fallback answers it (a counted failure with `fallbackOnFailure`). */
  private failureAnswered(call: Call, error: unknown): boolean {
    const kind = this.classify(call.callerSignal, error);
    this.settle(call, kind, error, false);
    return kind === FAILURE && this.fallbackOnFailure;
  }

  private runFallback(args: readonly unknown[] | undefined, error: unknown): Promise<unknown> {
    const fallback = this.fallback as (...argsAndError: unknown[]) => unknown;
    try {
      return Promise.resolve(args === undefined ? fallback(error) : fallback(...args, error));
    } catch (thrown) {
      return rejectLater(thrown);
    }
  }

  /**
   * A call with a timeout: the caller's promise is settled by whichever comes first, `fn`'s outcome or
   * the deadline. Per call it builds the `Call`, one promise (through a shared executor) and the pair
   * of reactions on `fn`'s promise.
   */
  private runTimed<T>(
    call: Call,
    fn: Invocable<T>,
    target: unknown,
    methodArgs: unknown[] | undefined,
    args: readonly unknown[] | undefined,
  ): Promise<T> {
    const answer = new Promise<T>(captureSettlers);
    call.resolve = capturedResolve;
    call.reject = capturedReject;
    capturedResolve = capturedReject = undefined;
    call.args = args;
    this.track(call);
    let result: T | PromiseLike<T>;
    try {
      result = methodArgs === undefined ? fn(this.takesSignal(fn) ? call.signal : (call.callerSignal ?? sharedIdleSignal())) : fn.apply(target, methodArgs);
    } catch (error) {
      call.rejected(error);
      return answer;
    }
    if (isThenable(result)) watch(call, result);
    else call.fulfilled(result);
    return answer;
  }

  /**
   * Whether `fn` declares a parameter, so it may use a per-call signal; one that does not gets none built.
   * Reading `fn.length` costs tens of ns, so the answer for the last function is kept (the breaker holds
   * that one function until the next timed call or `dispose()`).
   */
  private takesSignal(fn: Invocable<unknown>): boolean {
    if (fn !== this.lastFn) {
      this.lastFn = fn;
      this.lastFnTakesSignal = fn.length !== 0;
    }
    return this.lastFnTakesSignal;
  }

  // --- recording outcomes ---------------------------------------------------------------------

  /**
   * Start time for measuring the call's duration, read only when someone needs it: slow-call detection
   * or a subscriber's `durationMs`. Otherwise NaN, and events report `durationMs` -1.
   */
  private startTime(): number {
    return this.slowCallDurationMs !== Number.POSITIVE_INFINITY || this.isObserved() ? this.clock.now() : Number.NaN;
  }

  private settleValue(call: Call, value: unknown): void {
    this.settle(call, this.resultKind(value), value, false);
  }

  /** FAILURE when `recordResult` says so (or throws), else SUCCESS. */
  private resultKind(value: unknown): number {
    if (this.recordResult === undefined) return SUCCESS;
    try {
      return this.recordResult(value) === true ? FAILURE : SUCCESS;
    } catch {
      return FAILURE;
    }
  }

  /**
   * Ignored when the caller aborted; then `ignoreErrors` wins over `recordErrors`; with `recordErrors`
   * set, an error matching none is ignored. A matcher that throws makes the error count as a failure.
   * A bulkhead's rejection is overload, not an outage: ignored unless `recordErrors` matches it.
   */
  private classify(callerSignal: AbortSignal | undefined, error: unknown): number {
    if (callerSignal !== undefined && callerSignal.aborted) return IGNORED;
    try {
      for (const ignore of this.ignoreErrors) if (ignore(error)) return IGNORED;
      const record = this.recordErrors;
      if (record === undefined) return isBulkheadRejectedError(error) ? IGNORED : FAILURE;
      for (const matches of record) if (matches(error)) return FAILURE;
      return IGNORED;
    } catch {
      return FAILURE;
    }
  }

  private settle(call: Call, kind: number, payload: unknown, timedOut: boolean): void {
    call.settled = true;
    if (call.listening) {
      call.listening = false;
      call.callerSignal!.removeEventListener('abort', call);
    }
    if (call.tracked) this.untrack();
    this.record(call.generation, call.slot, call.startedAt, kind, payload, timedOut);
  }

  /**
   * Accounts for one settled call: totals and events always; the window or the half-open decision only
   * for a call admitted in the current generation.
   */
  private record(
    generation: number,
    slot: number,
    startedAt: number,
    kind: number,
    payload: unknown,
    timedOut: boolean,
  ): void {
    this.inFlight--;
    const observed = this.isObserved();
    const timed = startedAt === startedAt;
    // Read only when something uses it: a duration, an event, a time window, or a half-open decision (a
    // probe's outcome, an expired lease). CLOSED reads it when it trips; other states never use it.
    const now =
      timed || observed || this.windowNeedsTime || this.current === CircuitState.HALF_OPEN ? this.clock.now() : Number.NaN;
    const durationMs = timed ? now - startedAt : -1;
    if (kind === IGNORED) {
      this.ignored++;
      if (observed) this.subject!.next({ type: 'ignored', breaker: this.name, at: now, durationMs, error: payload });
      if (slot >= 0 && generation === this.generation) {
        // An expired lease counts as a failure even if the probe is cancelled afterwards.
        this.refresh(now);
        if (generation === this.generation) this.releaseProbe(slot);
      }
      return;
    }
    const slow = durationMs >= this.slowCallDurationMs;
    if (slow) this.slow++;
    if (kind === SUCCESS) {
      this.successful++;
      if (observed) this.subject!.next({ type: 'success', breaker: this.name, at: now, durationMs, slow });
    } else {
      this.failed++;
      if (timedOut) {
        this.timedOut++;
        if (observed) this.subject!.next({ type: 'timeout', breaker: this.name, at: now, timeoutMs: this.timeoutMs });
      }
      if (observed) this.subject!.next({ type: 'failure', breaker: this.name, at: now, durationMs, slow, error: payload });
    }
    if (generation === this.generation) this.applyOutcome(slot, kind === SUCCESS, slow, now);
    if (kind === FAILURE && this.failureSubject !== undefined && this.failureSubject.observed) {
      const at = now === now ? now : this.clock.now();
      this.failureSubject.next({ type: 'failure', breaker: this.name, at, durationMs, slow, error: payload });
    }
  }

  /** Feeds a counted outcome of the current generation to the window or the half-open decision. */
  private applyOutcome(slot: number, ok: boolean, slow: boolean, now: number): void {
    const window = this.window;
    switch (this.current) {
      case CircuitState.CLOSED:
        if (ok ? window.success(slow, now) : window.failure(slow, now)) {
          if (now !== now) now = this.clock.now();
          this.moveTo(CircuitState.OPEN, now, window.tripReason(now));
        }
        return;
      case CircuitState.DISABLED:
      case CircuitState.METRICS_ONLY:
        if (ok) window.success(slow, now);
        else window.failure(slow, now);
        return;
      case CircuitState.HALF_OPEN: {
        const generation = this.generation;
        this.refresh(now);
        if (this.generation !== generation || slot < 0 || this.probeStatus![slot] !== RUNNING) return;
        this.probeStatus![slot] = COUNTED;
        if (ok) this.probeSuccesses++;
        else this.probeFailures++;
        this.decideHalfOpen(now);
        return;
      }
      default:
        return;
    }
  }

  private releaseProbe(slot: number): void {
    if (this.probeStatus![slot] !== RUNNING) return;
    this.probeStatus![slot] = FREE;
    this.probesTaken--;
  }

  // --- transitions ----------------------------------------------------------------------------

  /** Applies the transitions that elapsed time implies: open duration over, probe leases expired. */
  private refresh(now: number): void {
    for (;;) {
      if (this.current === CircuitState.OPEN) {
        if (now < this.openUntil) return;
        this.moveTo(CircuitState.HALF_OPEN, this.openUntil, 'open duration elapsed');
      } else if (this.current !== CircuitState.HALF_OPEN || !this.expireProbeLeases(now)) {
        return;
      }
    }
  }

  /** Counts probes running for `maxWaitInHalfOpenMs` as failed, oldest first; true if that re-opened. */
  private expireProbeLeases(now: number): boolean {
    const status = this.probeStatus!;
    const start = this.probeStart!;
    for (;;) {
      let oldest = -1;
      for (let slot = 0; slot < status.length; slot++) {
        if (status[slot] === RUNNING && (oldest < 0 || start[slot]! < start[oldest]!)) oldest = slot;
      }
      if (oldest < 0) return false;
      const expiresAt = start[oldest]! + this.maxWaitInHalfOpenMs;
      if (expiresAt > now) return false;
      status[oldest] = COUNTED;
      this.probeFailures++;
      if (this.decideHalfOpen(expiresAt, `probe did not settle within ${this.maxWaitInHalfOpenMs} ms`)) return true;
    }
  }

  /** Closes or re-opens once the probes' outcome is certain; true if it moved. */
  private decideHalfOpen(at: number, failureCause?: string): boolean {
    const permitted = this.permittedCallsInHalfOpen;
    const needed = this.successesToClose;
    if (this.probeSuccesses >= needed) {
      this.moveTo(CircuitState.CLOSED, at, `${this.probeSuccesses} of ${permitted} probes succeeded (${needed} needed)`);
      return true;
    }
    if (this.probeFailures > permitted - needed) {
      this.moveTo(
        CircuitState.OPEN,
        at,
        failureCause ?? `${this.probeFailures} of ${permitted} probes failed (${needed} successes needed)`,
      );
      return true;
    }
    return false;
  }

  private operate(to: CircuitState, reason: string): void {
    const now = this.clock.now();
    this.refresh(now);
    if (this.current !== to) this.moveTo(to, now, `operator: ${reason}`);
    this.operatorReason = reason;
  }

  private moveTo(to: CircuitState, at: number, reason: string): void {
    const from = this.current;
    this.current = to;
    this.since = at;
    this.generation++;
    this.transitions++;
    this.operatorReason = undefined;
    switch (to) {
      case CircuitState.OPEN:
        this.consecutiveTrips++;
        this.openedAt = at;
        this.openUntil = at + this.openDurationFor(this.consecutiveTrips);
        break;
      case CircuitState.HALF_OPEN:
        if (this.probeStatus === undefined) {
          this.probeStatus = Array.from({ length: this.permittedCallsInHalfOpen }, () => FREE);
          this.probeStart = Array.from({ length: this.permittedCallsInHalfOpen }, () => 0);
        } else {
          this.probeStatus.fill(FREE);
        }
        this.probesTaken = 0;
        this.probeSuccesses = 0;
        this.probeFailures = 0;
        break;
      case CircuitState.CLOSED:
        this.consecutiveTrips = 0;
        this.window.reset();
        break;
      case CircuitState.DISABLED:
      case CircuitState.METRICS_ONLY:
        this.window.reset();
        break;
      default:
        break;
    }
    const observed = this.isObserved();
    const stateObserved = this.stateSubject !== undefined && this.stateSubject.observed;
    if (!observed && !stateObserved) return;
    const event: StateChangeEvent = { type: 'state_change', breaker: this.name, at, from, to, reason };
    if (stateObserved) this.stateSubject!.next(event);
    if (observed) this.subject!.next(event);
  }

  /** `initialMs · multiplier^(trip-1)`, capped at `maxMs`, spread by ± jitter (never above `maxMs`). */
  private openDurationFor(trip: number): number {
    const { initialMs, maxMs, multiplier, jitter } = this.openDuration;
    let ms = Math.min(maxMs, initialMs * multiplier ** (trip - 1));
    if (jitter > 0) ms = Math.min(maxMs, ms * (1 + jitter * (2 * this.random() - 1)));
    return ms;
  }

  // --- timeouts -------------------------------------------------------------------------------

  /**
   * Queues a timed call. Its deadline is `timeoutMs` after the first clock reading taken at or after its
   * start, so it never times out early. A clock reading costs more than the rest of this bookkeeping, so
   * a call that starts while no other timed call is in flight, and while the timer fires within a tick
   * of the last reading, skips it: the timer's reading stamps it (at most a tick late), unless the next
   * call's reading comes first.
   */
  private track(call: Call): void {
    if (this.disposed) return;
    call.tracked = true;
    const queue = (this.deadlines ??= []);
    let now = call.startedAt;
    if (now !== now) {
      if (this.head === this.tail && this.timer !== undefined && this.timerAt - this.lastReading <= tickOf(this.timeoutMs)) {
        call.deadline = Number.NaN;
        queue[this.tail++] = call;
        return;
      }
      now = this.clock.now();
    }
    this.lastReading = now;
    // A call still waiting for its stamp is alone at the head, and this is the first reading since it started.
    if (this.head < this.tail) stamp(queue[this.head]!, now + this.timeoutMs);
    call.deadline = now + this.timeoutMs;
    queue[this.tail++] = call;
    // From idle, the first firing comes after a tick: until then, calls that run one after another skip their reading.
    if (this.timer === undefined) this.armTimer(now, now + tickOf(this.timeoutMs));
  }

  private armTimer(now: number, at: number): void {
    this.timerAt = at;
    this.timer = this.clock.setTimeout((this.onDeadline ??= () => this.expireDeadlines()), at - now);
  }

  /**
   * A timed call settled: pop the settled calls at the head. The timer is left to fire and then not
   * re-armed if nothing is left: clearing and re-arming a timer for every call would cost more than the
   * rest of the call when calls run one after another.
   */
  private untrack(): void {
    const queue = this.deadlines!;
    while (this.head < this.tail && queue[this.head]!.settled) queue[this.head++] = undefined;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** The timer fired: stamp a call waiting for a reading, time out every due call, re-arm for the next. */
  private expireDeadlines(): void {
    this.timer = undefined;
    const queue = this.deadlines!;
    const now = this.clock.now();
    this.lastReading = now;
    while (this.head < this.tail) {
      const call = queue[this.head]!;
      stamp(call, now + this.timeoutMs);
      if (!call.settled && call.deadline > now) break;
      queue[this.head++] = undefined;
      if (!call.settled) this.timeOut(call);
    }
    if (this.head === this.tail) {
      this.head = this.tail = 0;
      queue.length = 0;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.tail) {
      queue.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      queue.length = this.tail;
      this.head = 0;
    }
    if (this.timer === undefined && !this.disposed) this.armTimer(now, queue[this.head]!.deadline);
  }

  private timeOut(call: Call): void {
    const caller = call.callerSignal;
    if (caller !== undefined && caller.aborted) {
      // Cancelled by its caller before the deadline: ignored, never a timeout.
      this.settle(call, IGNORED, caller.reason, false);
      call.reject?.(caller.reason);
      return;
    }
    const error = createTimeoutError(this.name, this.timeoutMs);
    call.timeoutError = error;
    this.settle(call, FAILURE, error, true);
    call.controller?.abort(error);
    if (call.reject === undefined) return;
    if (this.fallback === undefined) call.reject(error);
    else call.resolve!(this.runFallback(call.args, error));
  }
}


/** An admitted call: the permit handed out by `tryAcquire`, and the bookkeeping behind `execute`. */
class Call implements BreakerPermit {
  settled = false;
  /** In the policy's deadline queue. */
  tracked = false;
  deadline = 0;
  /** Listening for the caller's abort (per-call signal built). */
  listening = false;
  controller: AbortController | undefined = undefined;
  timeoutError: CircuitBreakerTimeoutError | undefined = undefined;
  private untimedSignal: AbortSignal | undefined = undefined;
  /** For `execute` with a timeout: how to answer the caller. */
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  args: readonly unknown[] | undefined = undefined;

  constructor(
    private readonly policy: CircuitBreakerPolicy,
    readonly generation: number,
    /** Half-open probe slot, or REGULAR. */
    readonly slot: number,
    readonly startedAt: number,
    readonly callerSignal: AbortSignal | undefined,
  ) {}

  /** Built on first read: a real AbortSignal costs microseconds on Node 20. */
  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    if (this.policy.timeoutMs === 0) return (this.untimedSignal ??= this.callerSignal ?? sharedIdleSignal());
    const controller = new AbortController();
    this.controller = controller;
    const caller = this.callerSignal;
    if (this.timeoutError !== undefined) controller.abort(this.timeoutError);
    else if (caller !== undefined && caller.aborted) controller.abort(caller.reason);
    else if (caller !== undefined && !this.settled) {
      caller.addEventListener('abort', this, ONCE);
      this.listening = true;
    }
    return controller.signal;
  }

  /** The caller's signal aborted: abort this call's signal with the same reason. */
  handleEvent(): void {
    this.listening = false;
    this.controller!.abort(this.callerSignal!.reason);
  }

  success(result?: unknown): void {
    if (!this.settled) internals.settleValue(this.policy, this, result);
  }

  failure(error: unknown): void {
    if (!this.settled) internals.settleError(this.policy, this, error);
  }

  cancel(): void {
    if (!this.settled) internals.settleIgnored(this.policy, this);
  }

  /** `fn` of `execute` returned; a timed call also answers its caller. Dropped if the call already timed out. */
  fulfilled(value: unknown): void {
    if (this.settled) return;
    if (this.resolve === undefined) internals.settleValue(this.policy, this, value);
    else internals.answerValue(this.policy, this, value);
  }

  /** `fn` of `execute` threw or rejected; a timed call also answers its caller. Dropped if the call already timed out. */
  rejected(error: unknown): void {
    if (this.settled) return;
    if (this.resolve === undefined) internals.settleError(this.policy, this, error);
    else internals.answerError(this.policy, this, error);
  }
}

/** Gives a timed call that started without a clock reading its deadline. */
function stamp(call: Call, deadline: number): void {
  if (call.deadline !== call.deadline) call.deadline = deadline;
}

/** Reports `promise`'s outcome to `call` (the one closure pair a tracked or timed call needs). */
function watch(call: Call, promise: PromiseLike<unknown>): void {
  void Promise.resolve(promise).then(
    (value) => call.fulfilled(value),
    (error: unknown) => call.rejected(error),
  );
}

/** A function `execute` runs, or a method `executeMethod` applies to its target. */
type Invocable<T> = (this: unknown, ...args: unknown[]) => T | PromiseLike<T>;

/**
 * The executor of every promise the breaker settles itself: it hands out the settling functions without
 * building a closure per promise. Read them right after `new Promise(captureSettlers)`, then clear them.
 */
let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;

function captureSettlers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

function ignoreOutcome(): void {}

function isOperatorState(state: CircuitState): boolean {
  return state === CircuitState.FORCED_OPEN || state === CircuitState.DISABLED || state === CircuitState.METRICS_ONLY;
}

/** The stack of an error built in a timer callback shows only timer internals: skip capturing it. */
function createTimeoutError(breaker: string, timeoutMs: number): CircuitBreakerTimeoutError {
  return withoutStack(() => new CircuitBreakerTimeoutError(breaker, timeoutMs));
}

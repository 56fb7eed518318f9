import { Subject, type Observable } from 'rxjs';
import type { Clock } from '../common/clock.js';
import { isThenable, rejectLater, sharedIdleSignal, withoutStack } from '../common/promises.js';
import type { BreakerPermit } from './breaker-permit.js';
import type {
  CallCounts,
  CircuitBreakerEvent,
  CircuitBreakerMetrics,
  FailureEvent,
  StateChangeEvent,
} from './circuit-breaker.events.js';
import type { CircuitBreakerOptions, FallbackFn } from './circuit-breaker.options.js';
import { resolveCircuitBreakerOptions } from './circuit-breaker.options-validation.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker.snapshot.js';
import { CircuitState } from './circuit-state.js';
import { BreakerStateMachine } from './core/breaker-state-machine.js';
import { DeadlineQueue } from './core/deadline-queue.js';
import { NO_SLOT } from './core/half-open-probes.js';
import { FAILURE, IGNORED, OutcomeClassifier, SUCCESS, type Outcome } from './core/outcome-classifier.js';
import { REGULAR, TrackedCall, watch, type CallOwner } from './core/tracked-call.js';
import { createCircuitBreakerOpenError, type CircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { CircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

export type { BreakerPermit } from './breaker-permit.js';

/** Collaborators a test may replace. */
export interface CircuitBreakerDeps {
  /** Source of randomness in [0, 1) for open-duration jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** `admit()` when the call is rejected (otherwise a probe slot, or REGULAR). */
const NOT_PERMITTED = NO_SLOT;

/**
 * Guards the circuit around calls to one dependency: admits a call, runs it, records its outcome and
 * answers the caller (or the fallback does).
 *
 * - States and transitions live in {@link BreakerStateMachine} (CLOSED → OPEN → HALF_OPEN → CLOSED or
 *   OPEN, plus the operator states), the half-open probe slots in `HalfOpenProbes`.
 * - Outcomes: success, failure, ignored (classified out by `OutcomeClassifier`, or cancelled by the
 *   caller's signal) and not permitted. A call admitted in an earlier generation is counted in the totals
 *   and events but never moves the state.
 * - Timeouts: with `timeoutMs`, calls share one clock timer in a `DeadlineQueue`; a call times out between
 *   `timeoutMs` and `timeoutMs` + a tick after it started.
 * - A call that needs bookkeeping (a probe, a caller's signal, a timing, a timeout, a fallback) is a
 *   `TrackedCall`; the common case (CLOSED, none of those) needs only its generation (see `runUntracked`).
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
  private readonly machine: BreakerStateMachine;
  private readonly classifier: OutcomeClassifier;
  private readonly slowCallDurationMs: number;
  private readonly fallback: FallbackFn | undefined;
  private readonly fallbackOnFailure: boolean;

  /** Totals by outcome (`CallCounts`), kept as fields to keep an idle breaker small. */
  private successful = 0;
  private failed = 0;
  private ignored = 0;
  private notPermittedCount = 0;
  private timedOut = 0;
  private slow = 0;
  private inFlight = 0;

  /** Built on the first timed call: the one timer of every timed call. */
  private deadlines: DeadlineQueue | undefined;
  private disposed = false;
  /** What tracked calls report to; built on the first one (most calls of most breakers are untracked). */
  private owner: CallOwner | undefined;
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
    this.machine = new BreakerStateMachine(o, deps.random ?? Math.random);
    this.classifier = new OutcomeClassifier(o);
    this.slowCallDurationMs = o.slowCallDurationMs;
    this.timeoutMs = o.timeoutMs;
    this.fallback = o.fallback;
    this.fallbackOnFailure = o.fallbackOnFailure && o.fallback !== undefined;
    const saved = o.initialState?.calls;
    if (saved === undefined) return;
    this.successful = saved.successful;
    this.failed = saved.failed;
    this.ignored = saved.ignored;
    this.notPermittedCount = saved.notPermitted;
    this.timedOut = saved.timedOut;
    this.slow = saved.slow;
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
      this.listenToTransitions();
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
      this.listenToTransitions();
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
    const machine = this.machine;
    if (machine.state === CircuitState.OPEN || machine.state === CircuitState.HALF_OPEN) machine.refresh(this.clock.now());
    return machine.state;
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

  /**
   * Admits one call and returns its permit, for callers that report the outcome themselves (the
   * decorator uses it for Observables). The fallback does not run here.
   * @throws CircuitBreakerOpenError when the call is not permitted (and emits `rejected`).
   */
  tryAcquire(signal?: AbortSignal): BreakerPermit {
    const slot = this.admit();
    if (slot === NOT_PERMITTED) throw this.notPermitted(this.admittedAt);
    const call = new TrackedCall(this.owner ?? this.createOwner(), this.machine.generation, slot, this.startTime(), signal);
    this.inFlight++;
    if (this.timeoutMs !== 0) this.track(call);
    return call;
  }

  /**
   * Whether this breaker counts `error` as a failure, by its `ignoreErrors` (which win) and `recordErrors`.
   * Callers that answer a failed call themselves (e.g. a fallback on failure) use it to agree with the breaker.
   */
  isRecordedError(error: unknown): boolean {
    return this.classifier.ofError(undefined, error) === FAILURE;
  }

  /** A point-in-time view: totals by outcome, window rates, state and time in state. */
  metrics(): CircuitBreakerMetrics {
    const machine = this.machine;
    const now = this.clock.now();
    machine.refresh(now);
    const window = machine.window.stats(now);
    return {
      name: this.name,
      state: machine.state,
      calls: this.callCounts(),
      failureRate: window.failureRate,
      slowCallRate: window.slowCallRate,
      bufferedCalls: window.bufferedCalls,
      inFlight: this.inFlight,
      timeInStateMs: now - machine.since,
      transitions: machine.transitions,
      consecutiveTrips: machine.consecutiveTrips,
    };
  }

  /** Operator hold: FORCED_OPEN rejects every call until `reset()` (or another operator state). */
  forceOpen(reason: string): void {
    this.machine.operate(CircuitState.FORCED_OPEN, reason, this.clock.now());
  }

  /** Operator bypass: DISABLED permits every call, still records outcomes, never transitions. */
  disable(reason: string): void {
    this.machine.operate(CircuitState.DISABLED, reason, this.clock.now());
  }

  /** Shadow mode: METRICS_ONLY records and emits like CLOSED but never rejects or transitions. */
  metricsOnly(reason: string): void {
    this.machine.operate(CircuitState.METRICS_ONLY, reason, this.clock.now());
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
    return this.machine.halfOpen(reason, this.clock.now());
  }

  /** Back to CLOSED with an empty window and the open backoff reset; also the way out of operator states. */
  reset(reason = 'reset'): void {
    this.machine.reset(reason, this.clock.now());
  }

  /**
   * Serialisable state, restorable through `initialState`. HALF_OPEN is saved as the OPEN period it came
   * from (its open time and elapsed `openUntil`), so the restored breaker half-opens on first use with
   * every probe slot free; `transitions` then excludes that half-open transition, which restore replays.
   */
  toJSON(): CircuitBreakerSnapshot {
    const machine = this.machine;
    machine.refresh(this.clock.now());
    const halfOpen = machine.state === CircuitState.HALF_OPEN;
    const open = halfOpen || machine.state === CircuitState.OPEN;
    const snapshot: CircuitBreakerSnapshot = {
      name: this.name,
      state: open ? CircuitState.OPEN : machine.state,
      stateSince: open ? machine.openedAt : machine.since,
      consecutiveTrips: machine.consecutiveTrips,
      transitions: halfOpen ? machine.transitions - 1 : machine.transitions,
      calls: this.callCounts(),
    };
    if (open) snapshot.openUntil = machine.openUntil;
    if (machine.operatorReason !== undefined) snapshot.reason = machine.operatorReason;
    return snapshot;
  }

  /**
   * Clears the timeout timer and completes `events$`. Calls in flight keep running but no longer time
   * out; the breaker still answers calls, without timeouts or events.
   */
  dispose(): void {
    this.disposed = true;
    this.deadlines?.dispose();
    this.lastFn = undefined;
    this.subject?.complete();
    this.stateSubject?.complete();
    this.failureSubject?.complete();
  }

  // --- admission -------------------------------------------------------------------------------

  /** A probe slot index, REGULAR, or NOT_PERMITTED. */
  private admit(): number {
    switch (this.machine.state) {
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
    const machine = this.machine;
    const now = this.clock.now();
    machine.refresh(now);
    if (machine.state !== CircuitState.OPEN && machine.state !== CircuitState.HALF_OPEN) return this.admit();
    // Set after `refresh`, whose events may run a subscriber that calls this breaker again.
    this.admittedAt = now;
    return machine.admitProbe(now);
  }

  /**
   * Counts and announces a rejection; the error is built without a stack capture, its message on first read.
   * @param admittedAt the clock reading that decided an OPEN or HALF_OPEN rejection (unused when FORCED_OPEN).
   */
  private notPermitted(admittedAt: number): CircuitBreakerOpenError {
    const state = this.machine.state;
    // FORCED_OPEN rejects without reading the clock, and needs a reading only for an event.
    const now = state !== CircuitState.FORCED_OPEN ? admittedAt : this.isObserved() ? this.clock.now() : Number.NaN;
    const retryAfterMs = this.machine.retryAfterMs(now);
    this.notPermittedCount++;
    if (this.isObserved()) {
      this.subject!.next({ type: 'rejected', breaker: this.name, at: now, state, retryAfterMs });
    }
    return createCircuitBreakerOpenError(this.name, state, retryAfterMs);
  }

  private cancelledBeforeStart<T>(signal: AbortSignal): Promise<T> {
    this.ignored++;
    if (this.isObserved()) {
      this.subject!.next({ type: 'ignored', breaker: this.name, at: this.clock.now(), durationMs: 0, error: signal.reason });
    }
    return rejectLater(signal.reason);
  }

  // --- running the call ------------------------------------------------------------------------

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
    // NaN start: nobody needs the call's duration.
    if (slot === REGULAR && signal === undefined && this.timeoutMs === 0 && !this.fallbackOnFailure && startedAt !== startedAt) {
      return this.runUntracked(fn, target, methodArgs);
    }
    const call = new TrackedCall(this.owner ?? this.createOwner(), this.machine.generation, slot, startedAt, signal);
    return this.timeoutMs === 0 ? this.runTracked(call, fn, target, methodArgs, args) : this.runTimed(call, fn, target, methodArgs, args);
  }

  /**
   * The common case (CLOSED, no timeout, no caller signal, no timing) needs nothing per call but the
   * generation, so the promise handlers are built once per generation instead of once per call. As in
   * `runTracked`, the caller gets `fn`'s own promise and the outcome is recorded by an earlier reaction.
   */
  private runUntracked<T>(fn: Invocable<T>, target: unknown, methodArgs: unknown[] | undefined): Promise<T> {
    const generation = this.machine.generation;
    let result: T | PromiseLike<T>;
    try {
      result = methodArgs === undefined ? fn(sharedIdleSignal()) : fn.apply(target, methodArgs);
    } catch (error) {
      this.record(generation, REGULAR, Number.NaN, this.classifier.ofError(undefined, error), error, false);
      return rejectLater(error);
    }
    if (!isThenable(result)) {
      this.record(generation, REGULAR, Number.NaN, this.classifier.ofValue(result), result, false);
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
      this.record(generation, REGULAR, Number.NaN, this.classifier.ofValue(value), value, false);
    };
    this.onUntrackedError = (error) => {
      this.record(generation, REGULAR, Number.NaN, this.classifier.ofError(undefined, error), error, false);
    };
  }

  /** A call without timeout that needs its own bookkeeping (probe, caller signal, timing or fallback). */
  private runTracked<T>(
    call: TrackedCall,
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
   * A call with a timeout: the caller's promise is settled by whichever comes first, `fn`'s outcome or
   * the deadline. Per call it builds the `TrackedCall`, one promise (through a shared executor) and the
   * pair of reactions on `fn`'s promise.
   */
  private runTimed<T>(
    call: TrackedCall,
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

  private track(call: TrackedCall): void {
    if (this.deadlines === undefined) {
      if (this.disposed) return;
      this.deadlines = new DeadlineQueue(this.clock, this.timeoutMs);
    }
    this.deadlines.track(call);
  }

  /** The deadline passed first: a timeout (answered by the fallback, if any), or ignored if the caller aborted. */
  private timeOut(call: TrackedCall): void {
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

  // --- answering the caller -------------------------------------------------------------------

  private answerRejection(error: CircuitBreakerOpenError, args: readonly unknown[] | undefined): Promise<unknown> {
    return this.fallback === undefined ? rejectLater(error) : this.runFallback(args, error);
  }

  /** Records a thrown error; true when the fallback answers it (a counted failure with `fallbackOnFailure`). */
  private failureAnswered(call: TrackedCall, error: unknown): boolean {
    const kind = this.classifier.ofError(call.callerSignal, error);
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
   * The policy's side of its tracked calls (permits and calls of `execute` that need bookkeeping), kept off
   * the class's public surface. Built once, on the first tracked call.
   */
  private createOwner(): CallOwner {
    return (this.owner = {
      timeoutMs: this.timeoutMs,
      settleValue: (call, value) => this.settleValue(call, value),
      settleError: (call, error) => this.settle(call, this.classifier.ofError(call.callerSignal, error), error, false),
      settleIgnored: (call) => this.settle(call, IGNORED, undefined, false),
      answerValue: (call, value) => {
        this.settleValue(call, value);
        call.resolve!(value);
      },
      answerError: (call, error) => {
        if (this.failureAnswered(call, error)) call.resolve!(this.runFallback(call.args, error));
        else call.reject!(error);
      },
      timeOut: (call) => this.timeOut(call),
    });
  }

  // --- recording outcomes ---------------------------------------------------------------------

  /**
   * Start time for measuring the call's duration, read only when someone needs it: slow-call detection
   * or a subscriber's `durationMs`. Otherwise NaN, and events report `durationMs` -1.
   */
  private startTime(): number {
    return this.slowCallDurationMs !== Number.POSITIVE_INFINITY || this.isObserved() ? this.clock.now() : Number.NaN;
  }

  private settleValue(call: TrackedCall, value: unknown): void {
    this.settle(call, this.classifier.ofValue(value), value, false);
  }

  private settle(call: TrackedCall, kind: Outcome, payload: unknown, timedOut: boolean): void {
    call.markSettled();
    if (call.tracked) this.deadlines!.untrack();
    this.record(call.generation, call.slot, call.startedAt, kind, payload, timedOut);
  }

  /**
   * Accounts for one settled call: totals and events always; the window or the half-open decision only
   * for a call admitted in the current generation.
   * @param startedAt NaN when the call's start was not read (then its duration is unknown).
   */
  private record(
    generation: number,
    slot: number,
    startedAt: number,
    kind: Outcome,
    payload: unknown,
    timedOut: boolean,
  ): void {
    this.inFlight--;
    const machine = this.machine;
    const observed = this.isObserved();
    const timed = startedAt === startedAt;
    // Read only when something uses it: a duration, an event, a time window, or a half-open decision (a
    // probe's outcome, an expired lease). CLOSED reads it when it trips; other states never use it.
    const now =
      timed || observed || machine.windowNeedsTime || machine.state === CircuitState.HALF_OPEN ? this.clock.now() : Number.NaN;
    const durationMs = timed ? now - startedAt : -1;
    if (kind === IGNORED) {
      this.ignored++;
      if (observed) this.subject!.next({ type: 'ignored', breaker: this.name, at: now, durationMs, error: payload });
      if (slot >= 0) machine.probeCancelled(slot, generation, now);
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
    if (generation === machine.generation) machine.applyOutcome(slot, kind === SUCCESS, slow, now);
    if (kind === FAILURE && this.failureSubject !== undefined && this.failureSubject.observed) {
      const at = now === now ? now : this.clock.now();
      this.failureSubject.next({ type: 'failure', breaker: this.name, at, durationMs, slow, error: payload });
    }
  }

  // --- events ---------------------------------------------------------------------------------

  /** From the first access to `events$` or `stateChanges$` on, the state machine reports its transitions. */
  private listenToTransitions(): void {
    this.machine.onTransition ??= (from, to, at, reason) => {
      const observed = this.isObserved();
      const stateObserved = this.stateSubject !== undefined && this.stateSubject.observed;
      if (!observed && !stateObserved) return;
      const event: StateChangeEvent = { type: 'state_change', breaker: this.name, at, from, to, reason };
      if (stateObserved) this.stateSubject!.next(event);
      if (observed) this.subject!.next(event);
    };
  }

  private isObserved(): boolean {
    return this.subject !== undefined && this.subject.observed;
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

/** The stack of an error built in a timer callback shows only timer internals: skip capturing it. */
function createTimeoutError(breaker: string, timeoutMs: number): CircuitBreakerTimeoutError {
  return withoutStack(() => new CircuitBreakerTimeoutError(breaker, timeoutMs));
}

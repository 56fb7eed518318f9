import { sharedIdleSignal } from '../../common/promises.js';
import type { BreakerPermit } from '../breaker-permit.js';
import type { CircuitBreakerTimeoutError } from '../errors/circuit-breaker-timeout.error.js';

/**
 * What a tracked call reports to: the policy that admitted it. The call knows its owner only by this
 * interface, so the arrows run one way (policy → call, deadline queue → call).
 */
export interface CallOwner {
  /** The owner's per-call timeout; 0 when calls have no timeout (then the breaker never aborts a call). */
  readonly timeoutMs: number;
  /** The call returned `value` (a permit's `success`, or `fn` of an untimed `execute`). */
  settleValue(call: TrackedCall, value: unknown): void;
  /** The call failed with `error` (a permit's `failure`, or `fn` of an untimed `execute`). */
  settleError(call: TrackedCall, error: unknown): void;
  /** The call was abandoned (a permit's `cancel`). */
  settleIgnored(call: TrackedCall): void;
  /** `fn` of a timed `execute` returned `value` before its deadline: record it and answer the caller. */
  answerValue(call: TrackedCall, value: unknown): void;
  /** `fn` of a timed `execute` failed before its deadline: record it and answer the caller. */
  answerError(call: TrackedCall, error: unknown): void;
  /** The call's deadline passed before it settled. */
  timeOut(call: TrackedCall): void;
}

/** `slot` of a call admitted outside HALF_OPEN (a probe's slot is its index, from 0). */
export const REGULAR = -1;

const ONCE = { once: true };

/**
 * One admitted call: the permit handed out by `tryAcquire`, and the bookkeeping behind `execute` for a
 * call that needs more than its generation (a probe, a caller's signal, a timing, a timeout or a fallback).
 */
export class TrackedCall implements BreakerPermit {
  settled = false;
  /** In the owner's deadline queue. */
  tracked = false;
  /** Clock time at which the call times out; NaN while it waits for a clock reading (see `DeadlineQueue.track`). */
  deadline = 0;
  /** Listening for the caller's abort (per-call signal built). */
  private listening = false;
  controller: AbortController | undefined = undefined;
  timeoutError: CircuitBreakerTimeoutError | undefined = undefined;
  private untimedSignal: AbortSignal | undefined = undefined;
  /** For `execute` with a timeout: how to answer the caller, and the arguments for its fallback. */
  resolve: ((value: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  args: readonly unknown[] | undefined = undefined;

  constructor(
    private readonly owner: CallOwner,
    /** The breaker's generation at admission: an outcome of an earlier generation never moves the state. */
    readonly generation: number,
    /** Half-open probe slot, or REGULAR. */
    readonly slot: number,
    /** Clock reading at admission, or NaN when nobody needs the call's duration. */
    readonly startedAt: number,
    readonly callerSignal: AbortSignal | undefined,
  ) {}

  /** Built on first read: a real AbortSignal costs microseconds on Node 20. */
  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    if (this.owner.timeoutMs === 0) return (this.untimedSignal ??= this.callerSignal ?? sharedIdleSignal());
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
    if (!this.settled) this.owner.settleValue(this, result);
  }

  failure(error: unknown): void {
    if (!this.settled) this.owner.settleError(this, error);
  }

  cancel(): void {
    if (!this.settled) this.owner.settleIgnored(this);
  }

  /** `fn` of `execute` returned; a timed call also answers its caller. Dropped if the call already timed out. */
  fulfilled(value: unknown): void {
    if (this.settled) return;
    if (this.resolve === undefined) this.owner.settleValue(this, value);
    else this.owner.answerValue(this, value);
  }

  /** `fn` of `execute` threw or rejected; a timed call also answers its caller. Dropped if the call already timed out. */
  rejected(error: unknown): void {
    if (this.settled) return;
    if (this.resolve === undefined) this.owner.settleError(this, error);
    else this.owner.answerError(this, error);
  }

  /** The deadline queue found the call due. */
  expired(): void {
    if (!this.settled) this.owner.timeOut(this);
  }

  /** Marks the call settled and stops listening to the caller's signal; the owner records the outcome. */
  markSettled(): void {
    this.settled = true;
    if (this.listening) {
      this.listening = false;
      this.callerSignal!.removeEventListener('abort', this);
    }
  }
}

/** Reports `promise`'s outcome to `call` (the one closure pair a tracked or timed call needs). */
export function watch(call: TrackedCall, promise: PromiseLike<unknown>): void {
  void Promise.resolve(promise).then(
    (value) => call.fulfilled(value),
    (error: unknown) => call.rejected(error),
  );
}

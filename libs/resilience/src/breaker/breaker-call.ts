import { Observable, catchError, from, isObservable, of, type ObservableInput, type Subscription } from 'rxjs';
import type { BoundBreakerCall } from './circuit-breaker.decorator.js';
import type { BreakerPermit, CircuitBreakerPolicy } from './circuit-breaker.policy.js';
import { isCircuitBreakerOpenError } from './errors/circuit-breaker-open.error.js';
import { isCircuitBreakerTimeoutError } from './errors/circuit-breaker-timeout.error.js';

/**
 * How a decorated method's result is guarded, known from its declared return type:
 * - `promise`: through `policy.execute` (the policy's shared timeout queue and generation checks);
 * - `observable`: one breaker call per subscription;
 * - `value`: decided per result, so a synchronous method stays synchronous.
 */
export type ReturnKind = 'promise' | 'observable' | 'value';

/** One decorated method on one provider instance, fully resolved at bootstrap. */
export interface GuardedMethod {
  /** The method's breaker, possibly shared: its timeout and classification apply, whoever declared them. */
  readonly policy: CircuitBreakerPolicy;
  /** The undecorated method. */
  readonly original: (...args: unknown[]) => unknown;
  readonly kind: ReturnKind;
  /** Index of the `@BreakerSignal()` parameter, or -1 when the method takes no signal. */
  readonly signalParameter: number;
  /** Site fallback, called with the instance as `this`, the call's arguments, then the error. */
  readonly fallback?: (...argsAndError: unknown[]) => unknown;
  readonly fallbackOnFailure: boolean;
}

/** Answers a failed call with the site fallback, or rethrows. */
type Recover = (instance: object, args: unknown[], error: unknown, caller?: AbortSignal) => unknown;

const ONCE = { once: true };

/** Builds the call the dispatcher forwards to for one instance. */
export function createBreakerCall(method: GuardedMethod): BoundBreakerCall {
  return method.signalParameter < 0 ? createPlainCall(method) : createSignalledCall(method, method.signalParameter);
}

/** A method without `@BreakerSignal()`: nothing per call beyond what the policy needs. */
function createPlainCall(method: GuardedMethod): BoundBreakerCall {
  const { policy, original, fallback } = method;
  const timed = policy.timeoutMs > 0;
  const recover = createRecover(method);
  let kind = method.kind;

  const callPromise = (instance: object, args: unknown[]): Promise<unknown> => {
    // No closure per call: the policy applies the method to the instance itself.
    const result = policy.executeMethod(instance, original, args);
    return fallback === undefined ? result : result.catch((error: unknown) => recover(instance, args, error));
  };

  const callObservable = (instance: object, args: unknown[], source: unknown): Observable<unknown> => {
    const guarded = guardSubscription(policy, () => toObservable(source), timed, undefined);
    return fallback === undefined
      ? guarded
      : guarded.pipe(catchError((error: unknown) => toObservable(recover(instance, args, error))));
  };

  const callValue = (instance: object, args: unknown[]): unknown => {
    let permit: BreakerPermit;
    try {
      permit = policy.tryAcquire();
    } catch (error) {
      return recover(instance, args, error);
    }
    let result: unknown;
    try {
      result = original.apply(instance, args);
    } catch (error) {
      permit.failure(error);
      return recover(instance, args, error);
    }
    if (isObservable(result)) {
      // Learned: from now on this method is guarded per subscription; this call's permit is handed back
      // (counted once as ignored) and the subscription takes its own.
      permit.cancel();
      kind = 'observable';
      return callObservable(instance, args, result);
    }
    if (isPromiseLike(result)) {
      const settled = settleWithPermit(permit, result, timed);
      return fallback === undefined ? settled : settled.catch((error: unknown) => recover(instance, args, error));
    }
    permit.success(result);
    return result;
  };

  return (instance, args) => {
    switch (kind) {
      case 'promise':
        return callPromise(instance, args);
      case 'observable':
        return callObservable(instance, args, original.apply(instance, args));
      default:
        return callValue(instance, args);
    }
  };
}

/**
 * A method with a `@BreakerSignal()` parameter at `at`: the method gets the permit's signal there. An
 * `AbortSignal` the caller passed in that position is the caller's signal. The argument list is padded to
 * that position first, so the fallback finds the error right after it whether or not the method ran.
 */
function createSignalledCall(method: GuardedMethod, at: number): BoundBreakerCall {
  const { policy, original, fallback } = method;
  const timed = policy.timeoutMs > 0;
  const recover = createRecover(method);
  let kind = method.kind;

  const callPromise = (instance: object, args: unknown[], caller: AbortSignal | undefined): Promise<unknown> => {
    // The function declares its parameter, so the policy builds a per-call signal when it has a timeout.
    const result = policy.execute((signal) => {
      args[at] = signal;
      return original.apply(instance, args) as unknown;
    }, caller);
    return fallback === undefined ? result : result.catch((error: unknown) => recover(instance, args, error, caller));
  };

  // Called per subscription, so that each subscription (one breaker call) gets its own signal.
  const callObservable = (instance: object, args: unknown[], caller: AbortSignal | undefined): Observable<unknown> => {
    const open = (signal: AbortSignal | undefined): Observable<unknown> => {
      const callArgs = args.slice();
      callArgs[at] = signal;
      return toObservable(original.apply(instance, callArgs));
    };
    const guarded = guardSubscription(policy, open, timed || caller !== undefined, caller, true);
    return fallback === undefined
      ? guarded
      : guarded.pipe(catchError((error: unknown) => toObservable(recover(instance, args, error, caller))));
  };

  const callValue = (instance: object, args: unknown[], caller: AbortSignal | undefined): unknown => {
    if (caller?.aborted) {
      cancelledBeforeStart(policy, caller).catch(ignore);
      throw caller.reason;
    }
    let permit: BreakerPermit;
    try {
      permit = policy.tryAcquire(caller);
    } catch (error) {
      return recover(instance, args, error, caller);
    }
    args[at] = permit.signal;
    let result: unknown;
    try {
      result = original.apply(instance, args);
    } catch (error) {
      permit.failure(error);
      return recover(instance, args, error, caller);
    }
    if (isObservable(result)) {
      // Learned: from now on the method is called once per subscription. This call already ran, so its
      // Observable is guarded as is (its permit handed back): declare the return type to avoid this first call.
      permit.cancel();
      kind = 'observable';
      const source = result;
      const guarded = guardSubscription(policy, () => source, timed || caller !== undefined, caller);
      return fallback === undefined
        ? guarded
        : guarded.pipe(catchError((error: unknown) => toObservable(recover(instance, args, error, caller))));
    }
    if (isPromiseLike(result)) {
      const settled = settleWithPermit(permit, result, timed || caller !== undefined);
      return fallback === undefined ? settled : settled.catch((error: unknown) => recover(instance, args, error, caller));
    }
    permit.success(result);
    return result;
  };

  return (instance, args) => {
    if (args.length <= at) args.length = at + 1;
    const given = args[at];
    const caller = isAbortSignal(given) ? given : undefined;
    switch (kind) {
      case 'promise':
        return callPromise(instance, args, caller);
      case 'observable':
        return callObservable(instance, args, caller);
      default:
        return callValue(instance, args, caller);
    }
  };
}

/**
 * The fallback answers rejections and timeouts, and failures the breaker records when `fallbackOnFailure`;
 * never a call its caller cancelled (that is not the dependency's fault, and the caller has gone).
 */
function createRecover(method: GuardedMethod): Recover {
  const { policy, fallback, fallbackOnFailure } = method;
  return (instance, args, error, caller) => {
    const answers =
      fallback !== undefined &&
      caller?.aborted !== true &&
      (isCircuitBreakerOpenError(error) ||
        isCircuitBreakerTimeoutError(error) ||
        (fallbackOnFailure && policy.isRecordedError(error)));
    if (!answers) throw error;
    return fallback.apply(instance, [...args, error]);
  };
}

/**
 * Each subscription is one breaker call: a permit on subscribe (rejection errors the subscriber), success on
 * complete (with the last value, for `recordResult`), failure on error; an unsubscribe settles it as a success
 * if a value arrived (`firstValueFrom`, `take(1)`), else cancels it (counted as ignored). With `listen`, when
 * the permit's signal aborts (per-call timeout, or the caller's abort), the source is unsubscribed and the
 * subscriber gets the signal's reason.
 *
 * @param open subscribes to the source, given the permit's signal when `withSignal` (else undefined, so no
 *   signal is built for a method that cannot use it).
 */
function guardSubscription(
  policy: CircuitBreakerPolicy,
  open: (signal: AbortSignal | undefined) => Observable<unknown>,
  listen: boolean,
  caller: AbortSignal | undefined,
  withSignal = false,
): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    if (caller?.aborted) {
      cancelledBeforeStart(policy, caller).catch((error: unknown) => subscriber.error(error));
      return undefined;
    }
    let permit: BreakerPermit;
    try {
      permit = policy.tryAcquire(caller);
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    const signal = listen || withSignal ? permit.signal : undefined;
    let source: Observable<unknown>;
    try {
      source = open(withSignal ? signal : undefined);
    } catch (error) {
      permit.failure(error);
      subscriber.error(error);
      return undefined;
    }
    const listened = listen ? signal : undefined;
    let settled = false;
    let received = false;
    let last: unknown;
    let inner: Subscription | undefined;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      // A timeout has already settled the permit; a caller's abort has not: it is ignored.
      permit.cancel();
      inner?.unsubscribe();
      subscriber.error(listened!.reason);
    };
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      listened?.removeEventListener('abort', onAbort);
      return true;
    };
    listened?.addEventListener('abort', onAbort, ONCE);
    inner = source.subscribe({
      next: (value) => {
        received = true;
        last = value;
        subscriber.next(value);
      },
      error: (error: unknown) => {
        if (!settle()) return;
        permit.failure(error);
        subscriber.error(error);
      },
      complete: () => {
        if (!settle()) return;
        permit.success(last);
        subscriber.complete();
      },
    });
    // Aborted while subscribing, before `inner` existed (a no-op if the source completed synchronously).
    if (settled) inner.unsubscribe();
    return () => {
      // A consumer that takes what it needs and leaves (`firstValueFrom`, `take(1)`) got an answer: a success.
      if (settle()) {
        if (received) permit.success(last);
        else permit.cancel();
      }
      inner?.unsubscribe();
    };
  });
}

/**
 * Settles a permit from a promise returned by a method whose return type was not declared. With `listen`,
 * the answer rejects as soon as the permit's signal aborts (timeout, or the caller's abort, counted as ignored).
 */
function settleWithPermit(permit: BreakerPermit, result: PromiseLike<unknown>, listen: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = listen ? permit.signal : undefined;
    const onAbort = (): void => {
      permit.cancel();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, ONCE);
    result.then(
      (value) => {
        signal?.removeEventListener('abort', onAbort);
        permit.success(value);
        resolve(value);
      },
      (error: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        permit.failure(error);
        reject(error);
      },
    );
  });
}

/**
 * Counts a call whose caller's signal was aborted before it started (ignored, as `execute` does: the
 * function it is given is never called) and rejects with the signal's reason.
 */
function cancelledBeforeStart(policy: CircuitBreakerPolicy, caller: AbortSignal): Promise<unknown> {
  return policy.execute(ignore, caller);
}

function ignore(): void {}

function toObservable(value: unknown): Observable<unknown> {
  if (isObservable(value)) return value;
  if (isPromiseLike(value)) return from(value as ObservableInput<unknown>);
  return of(value);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Duck-typed, so a signal from another realm (a test VM, a worker polyfill) is recognised too. */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { aborted?: unknown }).aborted === 'boolean' &&
    typeof (value as { addEventListener?: unknown }).addEventListener === 'function'
  );
}

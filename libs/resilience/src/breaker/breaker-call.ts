import { Observable, catchError, from, isObservable, of, type ObservableInput } from 'rxjs';
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
  readonly policy: CircuitBreakerPolicy;
  /** The undecorated method. */
  readonly original: (...args: unknown[]) => unknown;
  readonly kind: ReturnKind;
  /** The breaker has `timeoutMs`: permits must listen to their signal (reading it costs an AbortSignal otherwise). */
  readonly timed: boolean;
  /** Site fallback, called with the instance as `this`, the call's arguments, then the error. */
  readonly fallback?: (...argsAndError: unknown[]) => unknown;
  readonly fallbackOnFailure: boolean;
  /** Whether the breaker records this error as a failure (for `fallbackOnFailure`). */
  readonly isRecorded: (error: unknown) => boolean;
}

/** Builds the call the dispatcher forwards to for one instance. */
export function createBreakerCall(method: GuardedMethod): BoundBreakerCall {
  const { policy, original, timed, fallback, fallbackOnFailure, isRecorded } = method;
  let kind = method.kind;

  const recover = (instance: object, args: unknown[], error: unknown): unknown => {
    const answers =
      fallback !== undefined &&
      (isCircuitBreakerOpenError(error) || isCircuitBreakerTimeoutError(error) || (fallbackOnFailure && isRecorded(error)));
    if (!answers) throw error;
    return fallback.apply(instance, [...args, error]);
  };

  const callPromise = (instance: object, args: unknown[]): Promise<unknown> => {
    const result = policy.execute(() => original.apply(instance, args) as unknown);
    return fallback === undefined ? result : result.catch((error: unknown) => recover(instance, args, error));
  };

  const callObservable = (instance: object, args: unknown[], source: unknown): Observable<unknown> => {
    const guarded = guardSubscription(policy, toObservable(source), timed);
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
 * Each subscription is one breaker call: a permit on subscribe (rejection errors the subscriber), success on
 * complete (with the last value, for `recordResult`), failure on error; an unsubscribe settles it as a success
 * if a value arrived (`firstValueFrom`, `take(1)`), else cancels it (counted as ignored). When the permit's
 * signal aborts (per-call timeout), the source is unsubscribed and the subscriber gets the signal's reason.
 */
function guardSubscription(policy: CircuitBreakerPolicy, source: Observable<unknown>, timed: boolean): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    let permit: BreakerPermit;
    try {
      permit = policy.tryAcquire();
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    const signal = timed ? permit.signal : undefined;
    let settled = false;
    let received = false;
    let last: unknown;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      inner.unsubscribe();
      subscriber.error(signal!.reason);
    };
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const inner = source.subscribe({
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
    return () => {
      // A consumer that takes what it needs and leaves (`firstValueFrom`, `take(1)`) got an answer: a success.
      if (settle()) {
        if (received) permit.success(last);
        else permit.cancel();
      }
      inner.unsubscribe();
    };
  });
}

/** Settles a permit from a promise returned by a method whose return type was not declared. */
function settleWithPermit(permit: BreakerPermit, result: PromiseLike<unknown>, timed: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const signal = timed ? permit.signal : undefined;
    const onAbort = (): void => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
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

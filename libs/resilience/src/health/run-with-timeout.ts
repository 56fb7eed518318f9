import type { HealthTimers } from './health.timers.js';

/** How a guarded call ended. */
export type GuardedOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

/**
 * Runs `fn` with `controller.signal`; after `timeoutMs` the signal aborts with a `TimeoutError`
 * DOMException and the call counts as timed out, whether or not `fn` honours the signal.
 * Never rejects: throws, rejections and timeouts become outcomes. The signal is aborted once the
 * call is over, so anything still tied to it is released.
 */
export async function runWithTimeout<T>(
  fn: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  timerName: string,
  timers: HealthTimers,
  controller: AbortController,
  what: string,
): Promise<GuardedOutcome<T>> {
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timers.set(timerName, timeoutMs, () => {
      timedOut = true;
      const reason = new DOMException(`${what} timed out after ${timeoutMs} ms`, 'TimeoutError');
      controller.abort(reason);
      reject(reason);
    });
  });
  const call = Promise.resolve().then(() => fn(controller.signal));
  // A call that settles after its timeout (or after an abort) must not surface as an unhandled rejection.
  call.catch(() => undefined);
  const aborted = abortedPromise(controller.signal);
  try {
    const value = await Promise.race([call, timeout, aborted]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error, timedOut };
  } finally {
    timers.clear(timerName);
    if (!controller.signal.aborted) controller.abort(new DOMException(`${what} finished`, 'AbortError'));
  }
}

/** Rejects when the signal aborts for another reason than our timeout (shutdown, unregister). */
function abortedPromise(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

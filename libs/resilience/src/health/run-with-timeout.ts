import type { HealthTimers } from './health.timers.js';

/** How a guarded call ended. */
export type GuardedOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; timedOut: boolean };

/**
 * The abort handle of one guarded call (a check or a heal). Its `AbortSignal` is created on first
 * read: most checks never read it, and on a path that runs thousands of times a second an
 * AbortController per call is measurable.
 */
export class CallGuard {
  private controller: AbortController | undefined;
  private state: 'running' | 'aborted' | 'ended' = 'running';
  private reason: unknown;
  private rejectStopped: ((reason: unknown) => void) | undefined;

  /** The call's signal: it fires at the timeout or on `abort()`, never after the call ended. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.state === 'aborted') this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Aborts a running call: its signal fires with `reason` and its outcome is that error, at once. No-op once it ended. */
  abort(reason: unknown): void {
    if (this.state !== 'running') return;
    this.state = 'aborted';
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectStopped?.(reason);
  }

  /** Rejects when the call is aborted. @internal */
  stopped(): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.state === 'aborted') reject(this.reason);
      else this.rejectStopped = reject;
    });
  }

  /** The call is over: later aborts do nothing. @internal */
  end(): void {
    if (this.state === 'running') this.state = 'ended';
    this.rejectStopped = undefined;
  }
}

/**
 * Runs `fn`; after `timeoutMs` the guard aborts with a `TimeoutError` DOMException and the call
 * counts as timed out, whether or not `fn` honours the signal. `guard.abort(reason)` (shutdown,
 * unregister) ends the call the same way. Never rejects: throws, rejections, timeouts and aborts
 * become outcomes. A call that ends normally leaves its signal alone.
 */
export async function runWithTimeout<T>(
  fn: () => T | PromiseLike<T>,
  timeoutMs: number,
  timerName: string,
  timers: HealthTimers,
  guard: CallGuard,
  what: string,
): Promise<GuardedOutcome<T>> {
  let timedOut = false;
  timers.set(timerName, timeoutMs, () => {
    timedOut = true;
    guard.abort(new DOMException(`${what} timed out after ${timeoutMs} ms`, 'TimeoutError'));
  });
  const call = Promise.resolve().then(fn);
  // A call that settles after its timeout (or after an abort) must not surface as an unhandled rejection.
  call.catch(() => undefined);
  try {
    const value = await Promise.race([call, guard.stopped()]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error, timedOut };
  } finally {
    timers.clear(timerName);
    guard.end();
  }
}

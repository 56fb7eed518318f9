import type { Clock, TimerHandle } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { OptionChecker } from '../common/option-checker.js';
import { isThenable, rejectLater, sharedIdleSignal, withoutStack } from '../common/promises.js';
import { CallTimeoutError } from './errors/call-timeout.error.js';

/** Options of one timeout policy. */
export interface TimeoutOptions {
  /** Name in errors. Decorator default: `ClassName.methodName`; class default `timeout`. */
  name?: string;
  /** Time each call is given (ms). Required. */
  timeoutMs: number;
  /** Time source. Default `systemClock`. */
  clock?: Clock;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof TimeoutOptions>(['name', 'timeoutMs', 'clock']);
const ONCE = { once: true };

/**
 * Gives each call `timeoutMs` (or the rest of its deadline, when nearer), then rejects it with
 * `CallTimeoutError` and aborts its signal. Inside a retry (`pipeline()`, `@Timeout()` with `@Retry()`) it
 * bounds each attempt, and the last attempt ends at the call's deadline: the overall time is not
 * `maxAttempts × timeoutMs`.
 *
 * One clock timer per call in flight; an idle policy holds none. A per-call `AbortController` is built only
 * for a function that declares a parameter to receive the signal.
 */
export class TimeoutPolicy {
  readonly name: string;
  readonly timeoutMs: number;
  private readonly clock: Clock;

  /** @param options validated here; a bad value throws `InvalidOptionError` naming the option and value. */
  constructor(options: TimeoutOptions) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidOptionError('Timeout', 'options', options, 'must be an object with timeoutMs');
    }
    const name = options.name ?? 'timeout';
    if (typeof name !== 'string' || name.trim() === '') throw new InvalidOptionError('Timeout', 'name', name, 'must be a non-empty string');
    const check = new OptionChecker(`Timeout "${name}"`);
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) check.fail(key, (options as unknown as Record<string, unknown>)[key], 'is not a timeout option');
    }
    this.name = name;
    this.timeoutMs = check.positiveFinite('timeoutMs', options.timeoutMs);
    this.clock = check.clock(options.clock);
  }

  /**
   * Runs `fn` within `timeoutMs`, or until `deadline` (clock ms) when that comes first; a deadline already
   * past rejects at once without calling `fn`.
   * @param signal the caller's signal: its abort reaches `fn`'s signal; if already aborted, `fn` is not called.
   */
  execute<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal, deadline?: number): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError(`${this.name}: execute(fn) needs a function`));
    if (signal !== undefined && signal.aborted) return rejectLater(signal.reason);
    let limit = this.timeoutMs;
    if (deadline !== undefined && deadline !== Number.POSITIVE_INFINITY) {
      limit = Math.min(limit, deadline - this.clock.now());
      if (limit <= 0) return rejectLater(withoutStack(() => new CallTimeoutError(this.name, 0)));
    }
    return new TimedCall<T>(this.name, this.clock, signal, limit).run(fn);
  }
}

/** One call under a timeout: its timer, its signal and its answer. */
class TimedCall<T> {
  private settled = false;
  private timer: TimerHandle | undefined;
  private controller: AbortController | undefined;
  private resolve!: (value: T | PromiseLike<T>) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly caller: AbortSignal | undefined,
    private readonly limitMs: number,
  ) {}

  run(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    const answer = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    let signal: AbortSignal;
    if (fn.length === 0) {
      signal = this.caller ?? sharedIdleSignal();
    } else {
      this.controller = new AbortController();
      signal = this.controller.signal;
      this.caller?.addEventListener('abort', this, ONCE);
    }
    this.timer = this.clock.setTimeout(() => this.expire(), this.limitMs);
    let result: T | PromiseLike<T>;
    try {
      result = fn(signal);
    } catch (error) {
      this.finish();
      return rejectLater(error);
    }
    if (!isThenable(result)) {
      this.finish();
      return Promise.resolve(result);
    }
    Promise.resolve(result).then(
      (value) => {
        if (this.finish()) this.resolve(value);
      },
      (error: unknown) => {
        if (this.finish()) this.reject(error);
      },
    );
    return answer;
  }

  /** The caller aborted: the call's signal follows. */
  handleEvent(): void {
    this.controller?.abort(this.caller!.reason);
  }

  private expire(): void {
    this.timer = undefined;
    if (!this.finish()) return;
    const error = withoutStack(() => new CallTimeoutError(this.name, this.limitMs));
    this.controller?.abort(error);
    this.reject(error);
  }

  /** Marks the call settled, clears its timer and listener; false if it already was. */
  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.controller !== undefined) this.caller?.removeEventListener('abort', this);
    return true;
  }
}

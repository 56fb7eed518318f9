import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';
import type { ErrorPredicate } from '../common/error-matcher.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { OptionChecker } from '../common/option-checker.js';
import { isThenable, rejectLater, sharedIdleSignal } from '../common/promises.js';

/** Options of one fallback. */
export interface FallbackOptions<T = unknown> {
  /** Name in errors. Default `fallback`. */
  name?: string;
  /** Answers instead of the error: called with the error; may return a value or a promise, or throw. */
  fallback: (error: unknown) => T | PromiseLike<T>;
  /** Only errors matching one of these are answered (classes or predicates). Default: every error. */
  handle?: ErrorMatcher[];
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof FallbackOptions>(['name', 'fallback', 'handle']);

/**
 * Answers a failed call with `fallback(error)` instead of the error: for errors matching `handle`, never for a
 * call its caller aborted (the caller has gone). In a `pipeline()` it is the outermost stage, so it answers only
 * once the retries are over.
 */
export class FallbackPolicy<T = unknown> {
  readonly name: string;
  private readonly fallback: (error: unknown) => T | PromiseLike<T>;
  private readonly handle: readonly ErrorPredicate[] | undefined;

  /** @param options validated here; a bad value throws `InvalidOptionError` naming the option and value. */
  constructor(options: FallbackOptions<T>) {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new InvalidOptionError('Fallback', 'options', options, 'must be an object with a fallback function');
    }
    const name = options.name ?? 'fallback';
    if (typeof name !== 'string' || name.trim() === '') throw new InvalidOptionError('Fallback', 'name', name, 'must be a non-empty string');
    const check = new OptionChecker(`Fallback "${name}"`);
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) check.fail(key, (options as unknown as Record<string, unknown>)[key], 'is not a fallback option');
    }
    if (typeof options.fallback !== 'function') check.fail('fallback', options.fallback, 'must be a function');
    this.name = name;
    this.fallback = options.fallback;
    this.handle = options.handle === undefined ? undefined : check.matchers('handle', options.handle);
  }

  /** Whether the fallback answers `error` for a caller whose signal is `signal`. A matcher that throws means no. */
  handles(error: unknown, signal?: AbortSignal): boolean {
    if (signal !== undefined && signal.aborted) return false;
    const handle = this.handle;
    if (handle === undefined) return true;
    try {
      for (const matches of handle) if (matches(error)) return true;
    } catch {
      return false;
    }
    return false;
  }

  /** The fallback's answer to `error`, without the `handles` check. @internal the pipeline's path. */
  recover(error: unknown): T | PromiseLike<T> {
    return this.fallback(error);
  }

  /** Runs `fn`; a failure it handles is answered by the fallback. */
  execute(fn: (signal: AbortSignal) => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (typeof fn !== 'function') return rejectLater(new TypeError(`${this.name}: execute(fn) needs a function`));
    let result: T | PromiseLike<T>;
    try {
      result = fn(signal ?? sharedIdleSignal());
    } catch (error) {
      return this.answer(error, signal);
    }
    if (!isThenable(result)) return Promise.resolve(result);
    return Promise.resolve(result).then(undefined, (error: unknown) => this.answer(error, signal));
  }

  private answer(error: unknown, signal: AbortSignal | undefined): Promise<T> {
    if (!this.handles(error, signal)) return rejectLater(error);
    try {
      return Promise.resolve(this.fallback(error));
    } catch (thrown) {
      return rejectLater(thrown);
    }
  }
}

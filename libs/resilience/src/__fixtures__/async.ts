// Helpers for the library's own specs (not built, not public): settling promises, letting reactions run, moving a FakeClock.
import type { FakeClock } from '../testing/fake-clock.js';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = string>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise reaction run (a macrotask turn, not a wall-clock wait). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Settles a promise into a tagged result, so a test can look at a rejection without an unhandled one. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

/** Advances the clock by `ms` in steps of `step`, letting promise reactions run between them. */
export async function advance(clock: FakeClock, ms: number, step = ms): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await flush();
    clock.advance(Math.min(step, ms - done));
  }
  await flush();
}

/** A promise that never settles. */
export function never(): Promise<never> {
  return new Promise(() => undefined);
}

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Time source for every piece of logic that depends on time (breakers, health cycles,
 * heal backoff). Inject a `FakeClock` (from `@engined/resilience`'s testing helpers)
 * in tests so time moves only when the test says so.
 */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin; only differences matter, except for `toJSON`). */
  now(): number;
  /** Schedules `fn` after `ms`. Timers created by library code never keep the process alive (unref'd). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `Date.now()` and unref'd Node timers. Works under jest fake timers too. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** True for an object with the three `Clock` methods (option validators use it). */
export function isClock(value: unknown): value is Clock {
  const candidate = value as Partial<Clock> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.now === 'function' &&
    typeof candidate.setTimeout === 'function' &&
    typeof candidate.clearTimeout === 'function'
  );
}

/**
 * The calls every breaker wraps. All cases of one kind call the same function, so the difference
 * between two rows is the breaker, nothing else.
 */

/** The dependency answers at once: the cheapest possible async call, so the breaker's cost shows. */
export async function succeed(): Promise<number> {
  return 42;
}

/** Same, but it reads the signal it is handed, as code that supports cancellation does. */
export async function succeedWithSignal(signal: AbortSignal): Promise<number> {
  return signal.aborted ? 0 : 42;
}

/**
 * Built once: constructing an Error captures a stack (microseconds), which would swamp the breaker's
 * own failure path and is the dependency's cost, not the breaker's.
 */
export const DEPENDENCY_FAILURE = new Error('bench: the dependency failed');

/** The dependency fails at once. */
export async function fail(): Promise<never> {
  throw DEPENDENCY_FAILURE;
}

/** Long enough that no timeout fires during a run. */
export const CALL_TIMEOUT_MS = 1_000;
/** An open breaker stays open for the whole run. */
export const OPEN_FOR_MS = 3_600_000;

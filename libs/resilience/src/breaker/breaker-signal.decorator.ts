import 'reflect-metadata';
import { BREAKER_SIGNAL_METADATA } from '../resilience.constants.js';

/**
 * Marks the parameter of a `@CircuitBreaker()` method that receives the call's `AbortSignal`, so the
 * method can cancel its own work (pass it to `fetch`, a driver, a gRPC client) when the breaker gives up.
 *
 * - With `timeoutMs`, each call gets its own signal, aborted with a `CircuitBreakerTimeoutError` reason when
 *   that call times out; a neighbour's signal is never touched.
 * - If the caller passes an `AbortSignal` in that position, it is the caller's signal: its abort reaches the
 *   method's signal, and the call counts as ignored, never as a failure. An already-aborted one means the
 *   method is not called.
 * - Without a timeout, the method gets the caller's signal, or a signal that never aborts.
 * - An Observable method is called once per subscription, each with its own signal.
 *
 * Only the marked methods pay for a signal; the others keep the cheaper path.
 *
 * ```ts
 * @CircuitBreaker({ timeoutMs: 2_000 })
 * async findRecord(id: string, @BreakerSignal() signal?: AbortSignal): Promise<RecordDto> {
 *   return (await fetch(`${this.baseUrl}/records/${id}`, { signal })).json();
 * }
 * ```
 */
export function BreakerSignal(): ParameterDecorator {
  return (target, key, index) => {
    // Constructor parameters (key undefined) have no call to take a signal from.
    if (key === undefined) return;
    const marked = (Reflect.getMetadata(BREAKER_SIGNAL_METADATA, target, key) as number[] | undefined) ?? [];
    Reflect.defineMetadata(BREAKER_SIGNAL_METADATA, [...marked, index].toSorted((a, b) => a - b), target, key);
  };
}

/** The parameter indexes `@BreakerSignal()` marked on a method, in order; empty when none. */
export function getBreakerSignalParameters(prototype: object, method: string | symbol): readonly number[] {
  return (Reflect.getMetadata(BREAKER_SIGNAL_METADATA, prototype, method) as number[] | undefined) ?? [];
}

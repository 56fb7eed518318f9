import 'reflect-metadata';
import { installDispatcher } from '../breaker/circuit-breaker.decorator.js';
import { BULKHEAD_METADATA, FALLBACK_METADATA, RETRY_METADATA, TIMEOUT_METADATA } from '../resilience.constants.js';

/** The metadata keys of the decorators that compose with `@CircuitBreaker()` on one method. */
export const COMPOSED_KEYS = [RETRY_METADATA, BULKHEAD_METADATA, TIMEOUT_METADATA, FALLBACK_METADATA] as const;
export type ComposedKey = (typeof COMPOSED_KEYS)[number];

/**
 * The method decorator of a composing decorator: installs (or joins) the method's dispatcher and appends
 * `value` to the list under `key`, so that a decorator given twice (e.g. `@Retry()` and `@Resilient({ retry })`)
 * is reported at bootstrap rather than silently overwritten.
 */
export function recordComposed(key: ComposedKey, value: unknown): MethodDecorator {
  return (_target, _key, descriptor) => {
    const dispatcher = installDispatcher(descriptor);
    if (dispatcher === undefined) return;
    const list = (Reflect.getMetadata(key, dispatcher) as unknown[] | undefined) ?? [];
    Reflect.defineMetadata(key, [...list, value], dispatcher);
    return descriptor;
  };
}

/** What the decorators under `key` recorded on a dispatcher (empty when none). */
export function getComposed<T>(key: ComposedKey, dispatcher: object): readonly T[] {
  return (Reflect.getMetadata(key, dispatcher) as T[] | undefined) ?? [];
}

/** True when a method's dispatcher carries any decorator that composes with the breaker: the composition explorer binds it. */
export function isComposedMethod(dispatcher: object): boolean {
  return COMPOSED_KEYS.some((key) => Reflect.hasMetadata(key, dispatcher));
}

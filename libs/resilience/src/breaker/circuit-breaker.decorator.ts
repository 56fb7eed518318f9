import 'reflect-metadata';
import type { InjectionToken } from '@nestjs/common';
import { CIRCUIT_BREAKER_METADATA } from '../resilience.constants.js';
import type { BreakerClassifier } from './breaker-classifier.interface.js';
import type { CircuitBreakerOptions } from './circuit-breaker.options.js';

/**
 * Options of `@CircuitBreaker()`: the breaker options (merged over the module defaults and the profile),
 * plus the parts that come from the Nest container.
 */
export interface CircuitBreakerDecoratorOptions extends Omit<CircuitBreakerOptions, 'clock' | 'fallback'> {
  /**
   * Breaker name. Default `ClassName.methodName`. Methods that give the same name share one breaker;
   * at most one set of breaker options may be declared for a shared name (bootstrap error otherwise).
   */
  name?: string;
  /** A named profile of `ResilienceModule` options, merged over the defaults and under these options. */
  profile?: string;
  /**
   * A provider (class or token) implementing `BreakerClassifier`, resolved from the container at bootstrap;
   * its `recordErrors` / `ignoreErrors` / `recordResult` apply unless set inline.
   */
  classifier?: InjectionToken<BreakerClassifier>;
  /**
   * A function, or the name of a method of the same provider; called with the call's arguments, then the error,
   * when the call is rejected (open circuit) or times out, and for recorded failures with `fallbackOnFailure`.
   * A function is called with the provider instance as `this`, and may type its parameters like the method's
   * (a `@BreakerSignal()` parameter included: the arguments keep the method's positions).
   */
  fallback?: string | ((...argsAndError: never[]) => unknown);
}

/** What `@CircuitBreaker()` records on the method. */
export type CircuitBreakerMetadata = Readonly<CircuitBreakerDecoratorOptions>;

/** Runs one call of a decorated method for one provider instance; installed by the explorer at bootstrap. */
export type BoundBreakerCall = (instance: object, args: unknown[]) => unknown;

interface DispatchTarget {
  /** Where the explorer stores the bound call on each instance. */
  readonly slot: symbol;
  /** The method as it was before decoration. */
  readonly original: (...args: unknown[]) => unknown;
}

const dispatchTargets = new WeakMap<object, DispatchTarget>();

/**
 * Guards a provider or controller method with a circuit breaker.
 *
 * The decorator only records its options: the breaker is created, its options resolved (defaults, profile,
 * injected classifier) and validated at bootstrap by the library's explorer, and bad options fail there.
 * The method keeps working unguarded where no `ResilienceModule` is bootstrapped (e.g. `new MyService()` in a unit test).
 *
 * Works on methods returning a Promise, an rxjs Observable (one call per subscription) or a plain value
 * (the value stays synchronous). Composes with `@GrpcMethod`, `@Interval`, guards and interceptors.
 * Works on singleton, transient, request-scoped and durable providers and controllers: every instance
 * of the class shares the one breaker of the name.
 * Mark a parameter with `@BreakerSignal()` to receive the call's AbortSignal (aborted on timeout).
 *
 * ```ts
 * @CircuitBreaker({ profile: 'downstream', fallback: 'fromCache' })
 * async findRecord(id: string): Promise<RecordDto> { ... }
 * ```
 */
export function CircuitBreaker(nameOrOptions?: string | CircuitBreakerDecoratorOptions): MethodDecorator {
  const metadata: CircuitBreakerMetadata =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  return (_target, _key, descriptor) => {
    const dispatcher = installDispatcher(descriptor);
    if (dispatcher === undefined) return;
    Reflect.defineMetadata(CIRCUIT_BREAKER_METADATA, metadata, dispatcher);
    return descriptor;
  };
}

/**
 * Puts the method's dispatcher in the descriptor (the one already there, if another resilience decorator of
 * the method installed it) and returns it; undefined when the descriptor holds no method. Every resilience
 * decorator of a method records its metadata on this one dispatcher, so they compose in one place whatever
 * order they are written in. @internal
 */
export function installDispatcher(descriptor: PropertyDescriptor): object | undefined {
  const method: unknown = descriptor.value;
  if (typeof method !== 'function') return undefined;
  const dispatcher = dispatchTargets.has(method) ? method : createDispatcher(method as (...args: unknown[]) => unknown);
  descriptor.value = dispatcher;
  return dispatcher;
}

/**
 * Nest's router and microservice listeners take their handler reference before any `onModuleInit`
 * runs, so an instance method swapped in at init would never serve a route or an RPC. The decorator
 * therefore installs this stable pass-through on the prototype (carrying every metadata key and the
 * name of the original, as `GrpcStreamMethod` does); the explorer later binds each instance's guarded
 * call into a per-method slot, and the dispatcher forwards to it.
 */
function createDispatcher(original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const slot = Symbol(`engined:circuit-breaker:${original.name}`);
  const dispatcher = function (this: unknown, ...args: unknown[]): unknown {
    const bound = this === null || this === undefined ? undefined : (this as Record<symbol, BoundBreakerCall | undefined>)[slot];
    return bound === undefined ? original.apply(this, args) : bound(this as object, args);
  };
  for (const key of Reflect.getMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getMetadata(key, original), dispatcher);
  }
  Object.defineProperty(dispatcher, 'name', { value: original.name });
  Object.defineProperty(dispatcher, 'length', { value: original.length });
  dispatchTargets.set(dispatcher, { slot, original });
  return dispatcher;
}

/** Options recorded by `@CircuitBreaker()` on a method, if any. */
export function getCircuitBreakerMetadata(method: unknown): CircuitBreakerMetadata | undefined {
  if (typeof method !== 'function' || !dispatchTargets.has(method)) return undefined;
  return Reflect.getMetadata(CIRCUIT_BREAKER_METADATA, method) as CircuitBreakerMetadata | undefined;
}

/** The undecorated method behind a dispatcher. @internal */
export function getOriginalMethod(dispatcher: object): ((...args: unknown[]) => unknown) | undefined {
  return dispatchTargets.get(dispatcher)?.original;
}

/**
 * Routes calls of `dispatcher` made on `instance` to `call`. Returns false when the instance is already bound
 * (e.g. the same instance discovered under two tokens). @internal
 */
export function bindBreakerCall(instance: object, dispatcher: object, call: BoundBreakerCall): boolean {
  const target = dispatchTargets.get(dispatcher);
  if (target === undefined) throw new TypeError('bindBreakerCall: not a @CircuitBreaker() method');
  if (Object.prototype.hasOwnProperty.call(instance, target.slot)) return false;
  Object.defineProperty(instance, target.slot, { value: call, configurable: true, enumerable: false, writable: false });
  return true;
}

/** Removes the binding, so the method runs unguarded again. @internal */
export function unbindBreakerCall(instance: object, dispatcher: object): void {
  const target = dispatchTargets.get(dispatcher);
  if (target !== undefined) delete (instance as Record<symbol, unknown>)[target.slot];
}

/** Calls bound on a class prototype, per dispatcher slot: the last one bound serves, the others wait their turn. */
const prototypeBindings = new WeakMap<object, Map<symbol, BoundBreakerCall[]>>();

/**
 * Routes calls of `dispatcher` made on any instance of the class whose prototype this is (a request-scoped
 * or durable provider: its instances are created per request, after bootstrap) to `call`, unless the instance
 * has its own binding. The dispatcher finds it through the prototype chain, so an instance costs nothing.
 * Several applications in one process may bind the same class: the last one bound serves until it is unbound.
 * Returns false when another binding was already in place. @internal
 */
export function bindBreakerCallToPrototype(prototype: object, dispatcher: object, call: BoundBreakerCall): boolean {
  const target = dispatchTargets.get(dispatcher);
  if (target === undefined) throw new TypeError('bindBreakerCallToPrototype: not a @CircuitBreaker() method');
  let slots = prototypeBindings.get(prototype);
  if (slots === undefined) prototypeBindings.set(prototype, (slots = new Map()));
  const stack = slots.get(target.slot) ?? [];
  slots.set(target.slot, stack);
  stack.push(call);
  Object.defineProperty(prototype, target.slot, { value: call, configurable: true, enumerable: false, writable: false });
  return stack.length === 1;
}

/** Removes one prototype binding; the previous one (another application's) serves again, if any. @internal */
export function unbindBreakerCallFromPrototype(prototype: object, dispatcher: object, call: BoundBreakerCall): void {
  const target = dispatchTargets.get(dispatcher);
  const stack = target === undefined ? undefined : prototypeBindings.get(prototype)?.get(target.slot);
  if (target === undefined || stack === undefined) return;
  const at = stack.lastIndexOf(call);
  if (at >= 0) stack.splice(at, 1);
  const current = stack.at(-1);
  if (current === undefined) delete (prototype as Record<symbol, unknown>)[target.slot];
  else Object.defineProperty(prototype, target.slot, { value: current, configurable: true, enumerable: false, writable: false });
}

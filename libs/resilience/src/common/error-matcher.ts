import type { ErrorMatcher } from '../breaker/circuit-breaker.options.js';

/** A predicate over a thrown value, compiled from an `ErrorMatcher`. */
export type ErrorPredicate = (error: unknown) => boolean;

/**
 * Tells a class from a predicate in an `ErrorMatcher`. A class is matched with `instanceof`, anything
 * else is called as a predicate. The rule, in order:
 * 1. no `prototype` (arrow functions, methods, bound functions): a predicate;
 * 2. source starting with `class`: a class;
 * 3. `Error` or a constructor whose prototype inherits from `Error.prototype` (native errors, ES5-style
 *    error subclasses): a class;
 * 4. a prototype with own members besides `constructor` (native or ES5-style constructors): a class;
 * 5. otherwise (a plain `function (e) { ... }`): a predicate.
 */
export function isErrorClass(matcher: ErrorMatcher): boolean {
  const prototype = (matcher as { prototype?: unknown }).prototype;
  if (typeof prototype !== 'object' || prototype === null) return false;
  if (/^class\b/.test(Function.prototype.toString.call(matcher))) return true;
  if (prototype === Error.prototype || Error.prototype.isPrototypeOf(prototype)) return true;
  return Reflect.ownKeys(prototype).some((key) => key !== 'constructor');
}

/** Compiles a matcher to a predicate: `instanceof` for a class, the function itself otherwise. */
export function toErrorPredicate(matcher: ErrorMatcher): ErrorPredicate {
  if (isErrorClass(matcher)) {
    const type = matcher as abstract new (...args: never[]) => unknown;
    return (error) => error instanceof type;
  }
  return matcher as ErrorPredicate;
}

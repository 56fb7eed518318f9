import { Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { ReturnKind } from './breaker-call.js';
import { getBreakerSignalParameters } from './breaker-signal.decorator.js';
import { getCircuitBreakerMetadata, getOriginalMethod, type CircuitBreakerMetadata } from './circuit-breaker.decorator.js';

/** Reads what `@CircuitBreaker()` and TypeScript recorded about a method. */
@Injectable()
export class BreakerMetadataAccessor {
  /** The decorator's options, or undefined for a method without `@CircuitBreaker()`. */
  getOptions(method: unknown): CircuitBreakerMetadata | undefined {
    return getCircuitBreakerMetadata(method);
  }

  /** The undecorated method behind a decorated one. */
  getOriginal(method: object): ((...args: unknown[]) => unknown) | undefined {
    return getOriginalMethod(method);
  }

  /** The parameter indexes `@BreakerSignal()` marked on the method (normally none or one). */
  getSignalParameters(prototype: object, methodName: string | symbol): readonly number[] {
    return getBreakerSignalParameters(prototype, methodName);
  }

  /**
   * How the method's result is guarded: from the declared return type (`design:returntype`, emitted by
   * TypeScript with `emitDecoratorMetadata`), else `promise` for an `async` method, else `value` (decided per result).
   */
  getReturnKind(prototype: object, methodName: string | symbol, original: (...args: unknown[]) => unknown): ReturnKind {
    const declared = Reflect.getMetadata('design:returntype', prototype, methodName) as unknown;
    if (typeof declared === 'function') {
      if (declared === Promise || declared.prototype instanceof Promise) return 'promise';
      if (declared === Observable || declared.prototype instanceof Observable || hasSubscribe(declared.prototype)) {
        return 'observable';
      }
    }
    return original.constructor.name === 'AsyncFunction' ? 'promise' : 'value';
  }
}

function hasSubscribe(prototype: unknown): boolean {
  return (
    typeof prototype === 'object' &&
    prototype !== null &&
    typeof (prototype as { subscribe?: unknown }).subscribe === 'function' &&
    typeof (prototype as { pipe?: unknown }).pipe === 'function'
  );
}

import { recordComposed } from '../composition/composition-metadata.js';
import { BULKHEAD_METADATA } from '../resilience.constants.js';
import type { BulkheadOptions } from './bulkhead.options.js';

/** Options of `@Bulkhead()`: the bulkhead options, without the clock (the module's). */
export interface BulkheadDecoratorOptions extends Omit<BulkheadOptions, 'clock'> {
  /**
   * Bulkhead name. Default `ClassName.methodName`. Methods that give the same name share one bulkhead (its
   * slots and queue); at most one set of options may be declared for a shared name.
   */
  name?: string;
  /**
   * A bulkhead profile of the `ResilienceModule` options (`bulkhead.profiles`): its options, merged over
   * `bulkhead.defaults`, lie under this method's own. An unknown name fails at bootstrap, naming the known ones.
   */
  profile?: string;
}

/**
 * Limits the concurrent calls of a provider or controller method (returning a Promise) as `BulkheadPolicy`
 * does: recorded here, applied at bootstrap by the library's explorer. Inside `@CircuitBreaker()` (whatever
 * order they are written in), so a rejection reaches the breaker, which ignores it.
 *
 * ```ts
 * @Bulkhead({ name: 'reports', maxConcurrent: 4, maxQueued: 16, queueTimeoutMs: 2_000 })
 * async render(id: string): Promise<Buffer> { ... }
 * ```
 */
export function Bulkhead(nameOrOptions?: string | BulkheadDecoratorOptions): MethodDecorator {
  return recordComposed(BULKHEAD_METADATA, typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions });
}

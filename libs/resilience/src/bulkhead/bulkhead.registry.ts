import { Inject, Injectable } from '@nestjs/common';
import { applyPolicyProfile } from '../common/policy-profile.js';
import { PolicyRegistry } from '../common/policy-registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResolvedResilienceOptions } from '../resilience-options.interface.js';
import type { BulkheadDecoratorOptions } from './bulkhead.decorator.js';
import { BulkheadPolicy } from './bulkhead.policy.js';

/** Options of a bulkhead created through `BulkheadRegistry.getOrCreate()` (the clock is the module's). */
export type RegistryBulkheadOptions = Omit<BulkheadDecoratorOptions, 'name'>;

/**
 * Every bulkhead of the application, by name: the ones `@Bulkhead()` methods use (created at bootstrap) and the
 * ones created with `getOrCreate()` (e.g. around a connection pool). Methods naming the same bulkhead share its
 * slots and queue. The metrics module reads them at scrape time. Disposes every bulkhead at application shutdown.
 */
@Injectable()
export class BulkheadRegistry extends PolicyRegistry<BulkheadPolicy, RegistryBulkheadOptions> {
  protected readonly kind = 'Bulkhead';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResolvedResilienceOptions) {
    super();
  }

  protected create(name: string, options: RegistryBulkheadOptions): BulkheadPolicy {
    const own = applyPolicyProfile('bulkhead', `Bulkhead ${JSON.stringify(name)}`, this.options.bulkhead, options);
    return new BulkheadPolicy({ ...own, name, clock: this.options.clock });
  }
}

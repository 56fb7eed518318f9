import { Inject, Injectable } from '@nestjs/common';
import { applyPolicyProfile } from '../common/policy-profile.js';
import { PolicyRegistry } from '../common/policy-registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import type { ResolvedResilienceOptions } from '../resilience-options.interface.js';
import type { RetryDecoratorOptions } from './retry.decorator.js';
import { RetryPolicy } from './retry.policy.js';

/** Options of a retry policy created through `RetryRegistry.getOrCreate()` (the clock is the module's). */
export type RegistryRetryOptions = Omit<RetryDecoratorOptions, 'name'>;

/**
 * Every retry policy of the application, by name: the ones `@Retry()` methods use (created at bootstrap) and
 * the ones created with `getOrCreate()`. Methods naming the same policy share it, and so its retry budget.
 * The metrics module reads them at scrape time. Disposes every policy at application shutdown.
 */
@Injectable()
export class RetryRegistry extends PolicyRegistry<RetryPolicy, RegistryRetryOptions> {
  protected readonly kind = 'Retry';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResolvedResilienceOptions) {
    super();
  }

  protected create(name: string, options: RegistryRetryOptions): RetryPolicy {
    const own = applyPolicyProfile('retry', `Retry ${JSON.stringify(name)}`, this.options.retry, options);
    return new RetryPolicy({ ...own, name, clock: this.options.clock });
  }
}

import type { Provider } from '@nestjs/common';
import { RESILIENCE_CLOCK, RESILIENCE_MODULE_OPTIONS, RESILIENCE_OPTIONS } from './resilience.constants.js';
import type { ResilienceModuleOptions, ResolvedResilienceOptions } from './resilience-options.interface.js';
import { validateResilienceOptions } from './resilience-options.validation.js';

/**
 * The validated options: `forRoot` and `forRootAsync` both provide the raw options under
 * `RESILIENCE_MODULE_OPTIONS`, and this one factory validates them, so bad options fail at bootstrap
 * whichever way they came. A bare `imports: [ResilienceModule]` has no raw options: defaults apply.
 */
export const resilienceOptionsProvider: Provider = {
  provide: RESILIENCE_OPTIONS,
  useFactory: (raw: ResilienceModuleOptions | undefined): ResolvedResilienceOptions => validateResilienceOptions(raw),
  inject: [{ token: RESILIENCE_MODULE_OPTIONS, optional: true }],
};

/** The library's clock: the module option, else `systemClock`. */
export const resilienceClockProvider: Provider = {
  provide: RESILIENCE_CLOCK,
  useFactory: (options: ResolvedResilienceOptions) => options.clock,
  inject: [RESILIENCE_OPTIONS],
};

import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BreakerMetadataAccessor } from './breaker/breaker-metadata.accessor.js';
import { BreakerExplorer } from './breaker/breaker.explorer.js';
import { BreakerRegistry } from './breaker/breaker.registry.js';
import { BulkheadRegistry } from './bulkhead/bulkhead.registry.js';
import { CompositionExplorer } from './composition/composition.explorer.js';
import { RESILIENCE_CLOCK, RESILIENCE_OPTIONS } from './resilience.constants.js';
import {
  ConfigurableResilienceModule,
  type RESILIENCE_ASYNC_OPTIONS_TYPE,
  type RESILIENCE_OPTIONS_TYPE,
} from './resilience.module-definition.js';
import { resilienceClockProvider, resilienceOptionsProvider } from './resilience.providers.js';
import { RetryRegistry } from './retry/retry.registry.js';

/**
 * Circuit breakers for Nest: `@CircuitBreaker()` methods on any provider or controller, the
 * `BreakerRegistry`, module-wide defaults and named profiles; `@Retry()`, `@Bulkhead()`, `@Timeout()`,
 * `@Fallback()` and `@Resilient()`, composed with the breaker in one order, and the `RetryRegistry` and `BulkheadRegistry`.
 *
 * ```ts
 * ResilienceModule.forRoot({ defaults: { timeoutMs: 2_000 }, profiles: { db: { window: { kind: 'time', durationMs: 10_000 } } } })
 * ResilienceModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ ... }) })
 * ```
 * Global by default (`isGlobal: false` to opt out). Import it once: a second, bare import next to `forRoot`
 * would start a second registry.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    resilienceOptionsProvider,
    resilienceClockProvider,
    BreakerRegistry,
    BreakerMetadataAccessor,
    BreakerExplorer,
    // Retry, bulkhead, timeout and fallback, and their composition with the breaker.
    RetryRegistry,
    BulkheadRegistry,
    CompositionExplorer,
  ],
  exports: [BreakerRegistry, RetryRegistry, BulkheadRegistry, RESILIENCE_CLOCK, RESILIENCE_OPTIONS],
})
export class ResilienceModule extends ConfigurableResilienceModule {
  /** Registers the module with these options (validated at bootstrap); `forRoot()` means defaults. */
  static override forRoot(options: typeof RESILIENCE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers the module with options from a factory (`useFactory` + `inject`, `useClass` or `useExisting`), validated at bootstrap. */
  static override forRootAsync(options: typeof RESILIENCE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}

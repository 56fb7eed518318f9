// Tokens and metadata keys. This file imports nothing, so any file may import it without cycles.

/** Metadata key written by `@CircuitBreaker()` on a method. */
export const CIRCUIT_BREAKER_METADATA = 'engined:circuit-breaker';
/** Metadata key written by `@BreakerSignal()` on a method (prototype + method name): the marked parameter indexes. */
export const BREAKER_SIGNAL_METADATA = 'engined:breaker-signal';
/** Metadata key written by `@HealthCheck()`-style component decorators on a method. */
export const HEALTH_COMPONENT_METADATA = 'engined:health-component';
/** Metadata key for a heal method paired with a health component. */
export const HEALTH_HEAL_METADATA = 'engined:health-heal';
/** Injection token of the library's `Clock` (defaults to `systemClock`). */
export const RESILIENCE_CLOCK = 'RESILIENCE:CLOCK';
/** Injection token of the validated, defaulted module options. */
export const RESILIENCE_OPTIONS = 'RESILIENCE:OPTIONS';
/** Injection token of the raw options given to `ResilienceModule.forRoot()` / `forRootAsync()` (before validation). */
export const RESILIENCE_MODULE_OPTIONS = 'RESILIENCE:MODULE_OPTIONS';
/** Injection token of the raw `HealthModule` options (as given to `forRoot` / returned by `forRootAsync`'s factory). */
export const HEALTH_MODULE_OPTIONS = 'HEALTH:MODULE_OPTIONS';
/** Injection token of the validated, defaulted `HealthModule` options. */
export const HEALTH_OPTIONS = 'HEALTH:OPTIONS';
/** Injection token of the HTTP mount (controller on/off and path) fixed when the module was defined. */
export const HEALTH_HTTP_MOUNT = 'HEALTH:HTTP_MOUNT';
/** Prefix of every timer the health module registers in `SchedulerRegistry`. */
export const HEALTH_TIMER_PREFIX = 'engined:health:';
/** Injection token of the `SchedulerRegistry` the health module registers its timers in (the app's, or a private one). */
export const HEALTH_SCHEDULER_REGISTRY = 'HEALTH:SCHEDULER_REGISTRY';
/** Metadata keys written by `@Retry()`, `@Bulkhead()`, `@Timeout()` and `@Fallback()` on a method's dispatcher: lists of their options. */
export const RETRY_METADATA = 'engined:retry';
export const BULKHEAD_METADATA = 'engined:bulkhead';
export const TIMEOUT_METADATA = 'engined:timeout';
export const FALLBACK_METADATA = 'engined:fallback';

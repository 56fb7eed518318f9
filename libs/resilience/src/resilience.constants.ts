// Tokens and metadata keys. This file imports nothing, so any file may import it without cycles.

/** Metadata key written by `@CircuitBreaker()` on a method. */
export const CIRCUIT_BREAKER_METADATA = 'engined:circuit-breaker';
/** Metadata key written by `@HealthCheck()`-style component decorators on a method. */
export const HEALTH_COMPONENT_METADATA = 'engined:health-component';
/** Metadata key for a heal method paired with a health component. */
export const HEALTH_HEAL_METADATA = 'engined:health-heal';
/** Injection token of the library's `Clock` (defaults to `systemClock`). */
export const RESILIENCE_CLOCK = 'RESILIENCE:CLOCK';
/** Injection token of the validated, defaulted module options. */
export const RESILIENCE_OPTIONS = 'RESILIENCE:OPTIONS';

// Public API of `@engined/resilience/health`: scheduled health checks with auto-healing, probe groups
// and their Terminus endpoints (loaded on demand: `@nestjs/terminus` is needed only with `http.enabled`).
// Peer: `@nestjs/schedule`.

export { HealthModule, type HealthModuleAsyncOptions } from './health.module.js';
export type {
  BreakerComponentsOptions,
  DetailVisibility,
  HealthHttpOptions,
  HealthModuleOptions,
} from './health-module.options.js';
export { HealthRegistry } from './health.registry.js';
export {
  HealComponent,
  HealthComponent,
  type HealthComponentDecoratorOptions,
} from './health-component.decorator.js';
export type {
  CheckContext,
  CheckFn,
  CheckOutcome,
  CheckResult,
  ComponentOptions,
  HealBackoffOptions,
  HealContext,
  HealEscalationOptions,
  HealFn,
  HealingOptions,
  HealthComponentDefinition,
} from './health-component.options.js';
export type { IndicatorResult, IndicatorStatus } from './indicator-result.js';
export {
  COMPONENT_TYPES,
  type ComponentType,
  EXTERNAL_COMPONENT_TYPES,
  HealthStatus,
  type HealthScope,
  PROBE_GROUPS,
  type ProbeGroup,
  isFailing,
  isHealthStatus,
  isPassing,
} from './health-status.js';
export {
  type AggregateHealth,
  type CapturedError,
  type CheckRecord,
  type ComponentHistory,
  type ComponentSnapshot,
  type EscalationLevel,
  type HealAttemptResult,
  type HealRecord,
  type HealSnapshot,
  HealState,
  type HealthPhase,
} from './health.snapshot.js';
export type {
  AggregateChangeEvent,
  CheckCompletedEvent,
  ComponentRegisteredEvent,
  ComponentUnregisteredEvent,
  EscalationEvent,
  GaveUpEvent,
  HealAttemptEvent,
  HealResetEvent,
  HealthEvent,
  ShutdownEvent,
  StatusChangeEvent,
} from './health.events.js';
export type { HealOutcome } from './component-entry.js';
export { breakerHealth } from './breaker-components.js';
export { redactSecrets } from './redact.js';
export {
  UnknownHealthComponentError,
  isUnknownHealthComponentError,
} from './errors/unknown-health-component.error.js';
export { HEALTH_OPTIONS } from '../resilience.constants.js';

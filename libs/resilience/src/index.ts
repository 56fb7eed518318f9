// Public API of @engined/resilience: everything exported by name; nothing else is public.

// --- common ---
export { type Clock, type TimerHandle, systemClock } from './common/clock.js';
export { InvalidOptionError, isInvalidOptionError } from './common/invalid-option.error.js';
export type { GlobalModuleExtras } from './common/global-module.js';

// --- breaker core ---
export { CircuitState } from './breaker/circuit-state.js';
export type {
  CircuitBreakerOptions,
  ErrorMatcher,
  FailureWindowOptions,
  FallbackFn,
  OpenBackoffOptions,
} from './breaker/circuit-breaker.options.js';
export type {
  CallCounts,
  CircuitBreakerEvent,
  CircuitBreakerMetrics,
  FailureEvent,
  IgnoredEvent,
  RejectedEvent,
  StateChangeEvent,
  SuccessEvent,
  TimeoutEvent,
} from './breaker/circuit-breaker.events.js';
export type { CircuitBreakerSnapshot } from './breaker/circuit-breaker.snapshot.js';
export { CircuitBreakerPolicy, type BreakerPermit, type CircuitBreakerDeps } from './breaker/circuit-breaker.policy.js';
export { CircuitBreakerOpenError, isCircuitBreakerOpenError } from './breaker/errors/circuit-breaker-open.error.js';
export { CircuitBreakerTimeoutError, isCircuitBreakerTimeoutError } from './breaker/errors/circuit-breaker-timeout.error.js';

// --- breaker Nest layer ---
export { ResilienceModule } from './resilience.module.js';
export type { ResilienceModuleExtras } from './resilience.module-definition.js';
export type { BreakerProfile, ResilienceModuleOptions } from './resilience-options.interface.js';
export { RESILIENCE_CLOCK } from './resilience.constants.js';
export { CircuitBreaker, type CircuitBreakerDecoratorOptions } from './breaker/circuit-breaker.decorator.js';
export { BreakerSignal } from './breaker/breaker-signal.decorator.js';
export type { BreakerClassifier } from './breaker/breaker-classifier.interface.js';
export { BreakerRegistry, type RegistryBreakerOptions } from './breaker/breaker.registry.js';
export { BreakerExceptionFilter, RETRY_AFTER_MS_METADATA } from './breaker/breaker-exception.filter.js';
export { UnknownCircuitBreakerError, isUnknownCircuitBreakerError } from './breaker/errors/unknown-circuit-breaker.error.js';

// --- health ---
export { HealthModule, type HealthModuleAsyncOptions } from './health/health.module.js';
export type {
  BreakerComponentsOptions,
  DetailVisibility,
  HealthHttpOptions,
  HealthModuleOptions,
} from './health/health-module.options.js';
export { HealthRegistry } from './health/health.registry.js';
export {
  HealComponent,
  HealthComponent,
  type HealthComponentDecoratorOptions,
} from './health/health-component.decorator.js';
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
} from './health/health-component.options.js';
export type { IndicatorResult, IndicatorStatus } from './health/indicator-result.js';
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
} from './health/health-status.js';
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
} from './health/health.snapshot.js';
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
} from './health/health.events.js';
export type { HealOutcome } from './health/component-entry.js';
export { breakerHealth } from './health/breaker-components.js';
export { redactSecrets } from './health/redact.js';
export {
  UnknownHealthComponentError,
  isUnknownHealthComponentError,
} from './health/errors/unknown-health-component.error.js';
export { HEALTH_OPTIONS } from './resilience.constants.js';

// --- terminus ---
export { describeComponent } from './terminus/component-health.indicator.js';

// --- grpc server ---
export { GrpcServer, type GrpcServerOptions } from './grpc/grpc-server.js';

// --- grpc health ---
export { GrpcHealthModule } from './grpc-health/grpc-health.module.js';
export type { GrpcHealthModuleOptions } from './grpc-health/grpc-health.options.js';
export { GrpcHealthService, type GrpcServerLike } from './grpc-health/grpc-health.service.js';
export { GrpcHealthStatusManager, type ServingStatusListener } from './grpc-health/grpc-health-status.manager.js';
export type { GrpcHealthSource, GrpcHealthUpdate } from './grpc-health/grpc-health.source.js';
export { healthRegistrySource, type HealthRegistryView } from './grpc-health/health-registry.source.js';
export { ServingStatus, servingStatusOf, type HealthStatusName } from './grpc-health/serving-status.js';
export { withGrpcHealth, type AppReference } from './grpc-health/with-grpc-health.js';
export { GRPC_HEALTH_SERVICE_NAME } from './grpc-health/health.descriptor.js';

// --- metrics ---
export { MetricsModule, type MetricsModuleAsyncOptions } from './metrics/metrics.module.js';
export type { MetricsModuleOptions } from './metrics/metrics.options.js';
export { MetricsService } from './metrics/metrics.service.js';
export { GrpcMetricsInterceptor, grpcCodeOf } from './metrics/grpc-metrics.interceptor.js';
export { GrpcServerMetrics } from './metrics/grpc-server.metrics.js';
export { grpcMetricsServerInterceptor } from './metrics/grpc-metrics.server-interceptor.js';
export { withGrpcMetrics } from './metrics/with-grpc-metrics.js';
export type { BreakerMetricsSource, HealthMetricsSource } from './metrics/metrics.sources.js';
export type { CallOutcome } from './metrics/breaker.metrics.js';

// --- testing ---
export { FakeClock } from './testing/fake-clock.js';

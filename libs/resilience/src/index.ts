// Public API of `@engined/resilience`: the breaker, its Nest module and what they share (clock, errors),
// exported by name; nothing else is public. The other parts are subpath entries, each with its own
// index.ts: `/health`, `/terminus`, `/grpc`, `/metrics`, `/testing`. This entry loads none of their
// optional peers (grpc-js, proto-loader, prom-client, Terminus, microservices, schedule): a test keeps it so.

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

// --- retry, bulkhead, timeout, fallback and their composition with the breaker ---
export { RetryPolicy, type RetryAttemptFn, type RetryDeps } from './retry/retry.policy.js';
export type { BackoffOptions, RetryBudgetOptions, RetryOptions } from './retry/retry.options.js';
export type {
  RetryCallCounts,
  RetryEvent,
  RetryGiveUpEvent,
  RetryGiveUpReason,
  RetryMetrics,
  RetryScheduledEvent,
  RetrySuccessEvent,
} from './retry/retry.events.js';
export { GRPC_RETRY_PUSHBACK_METADATA } from './retry/retry-after.js';
export { Retry, type RetryDecoratorOptions } from './retry/retry.decorator.js';
export { RetryRegistry, type RegistryRetryOptions } from './retry/retry.registry.js';
export { BulkheadPolicy } from './bulkhead/bulkhead.policy.js';
export type { BulkheadOptions } from './bulkhead/bulkhead.options.js';
export type {
  BulkheadAdmittedEvent,
  BulkheadCallCounts,
  BulkheadCancelledEvent,
  BulkheadEvent,
  BulkheadMetrics,
  BulkheadQueuedEvent,
  BulkheadRejectedEvent,
} from './bulkhead/bulkhead.events.js';
export { BulkheadRejectedError, isBulkheadRejectedError, type BulkheadRejection } from './bulkhead/errors/bulkhead-rejected.error.js';
export { Bulkhead, type BulkheadDecoratorOptions } from './bulkhead/bulkhead.decorator.js';
export { BulkheadRegistry, type RegistryBulkheadOptions } from './bulkhead/bulkhead.registry.js';
export { TimeoutPolicy, type TimeoutOptions } from './timeout/timeout.policy.js';
export { CallTimeoutError, isCallTimeoutError } from './timeout/errors/call-timeout.error.js';
export { Timeout, type TimeoutDecoratorOptions } from './timeout/timeout.decorator.js';
export { FallbackPolicy, type FallbackOptions } from './fallback/fallback.policy.js';
export { Fallback, type FallbackDecoratorOptions } from './fallback/fallback.decorator.js';
export { pipeline, ResiliencePipeline, type PipelinePolicy, type PipelineStages } from './composition/pipeline.js';
export { Resilient, type ResilientOptions } from './composition/resilient.decorator.js';

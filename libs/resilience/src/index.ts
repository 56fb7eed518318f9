// Public API of @engined/resilience: everything exported by name; nothing else is public.

// --- common ---
export { type Clock, type TimerHandle, systemClock } from './common/clock.js';
export { InvalidOptionError, isInvalidOptionError } from './common/invalid-option.error.js';

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

// --- breaker Nest layer ---
export { ResilienceModule } from './resilience.module.js';

// --- health ---

// --- terminus ---

// --- grpc health ---

// --- metrics ---

// --- testing ---

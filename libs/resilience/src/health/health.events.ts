import type { EscalationLevel, HealAttemptResult, HealthPhase } from './health.snapshot.js';
import type { HealthScope, HealthStatus } from './health-status.js';

interface HealthEventBase {
  /** Clock time of the event (ms). */
  at: number;
}

/** A component's status changed (after hysteresis/staleness). */
export interface StatusChangeEvent extends HealthEventBase {
  type: 'status_change';
  component: string;
  from: HealthStatus;
  to: HealthStatus;
  /** Why, e.g. the check's message, `stale: no result for 30000 ms`, `registered`. */
  reason?: string;
}

/** A check finished (for metrics: count and latency). */
export interface CheckCompletedEvent extends HealthEventBase {
  type: 'check_completed';
  component: string;
  /** What the check reported, before hysteresis. */
  status: HealthStatus;
  durationMs: number;
  timedOut: boolean;
}

/** A heal attempt finished (after its verification check), or a heal was refused. */
export interface HealAttemptEvent extends HealthEventBase {
  type: 'heal_attempt';
  component: string;
  /** Attempt number since the backoff was last reset (0 for `skipped`). */
  attempt: number;
  result: HealAttemptResult;
  durationMs: number;
  /** When the attempt started (equals `at` for `skipped`). */
  startedAt: number;
  /** The verification check passed. */
  verified: boolean;
  /** Error message, or why it was skipped. */
  message?: string;
}

/** Healing used up `maxAttempts` within `windowMs`. */
export interface GaveUpEvent extends HealthEventBase {
  type: 'gave_up';
  component: string;
  attempts: number;
}

/** A given-up component now forces a probe group down (or, with `none`, no longer does). */
export interface EscalationEvent extends HealthEventBase {
  type: 'escalation';
  component: string;
  level: EscalationLevel;
}

/** A component's backoff and given-up state were cleared. */
export interface HealResetEvent extends HealthEventBase {
  type: 'heal_reset';
  component: string;
  reason: 'stable' | 'operator';
}

/** The status of the system or of a probe group changed. */
export interface AggregateChangeEvent extends HealthEventBase {
  type: 'aggregate_change';
  scope: HealthScope;
  from: HealthStatus;
  to: HealthStatus;
}

/** A component appeared (its initial status is UNKNOWN, or the breaker's mapped state). */
export interface ComponentRegisteredEvent extends HealthEventBase {
  type: 'component_registered';
  component: string;
  status: HealthStatus;
}

/** A component was removed. */
export interface ComponentUnregisteredEvent extends HealthEventBase {
  type: 'component_unregistered';
  component: string;
}

/** The module entered a shutdown phase: `draining` (readiness fails, liveness serves) then `stopped`. */
export interface ShutdownEvent extends HealthEventBase {
  type: 'shutdown';
  phase: Extract<HealthPhase, 'draining' | 'stopped'>;
  signal?: string;
}

/** Everything `HealthRegistry.events$` emits. */
export type HealthEvent =
  | StatusChangeEvent
  | CheckCompletedEvent
  | HealAttemptEvent
  | GaveUpEvent
  | EscalationEvent
  | HealResetEvent
  | AggregateChangeEvent
  | ComponentRegisteredEvent
  | ComponentUnregisteredEvent
  | ShutdownEvent;

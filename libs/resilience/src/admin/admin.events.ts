import type { CircuitState } from '../breaker/circuit-state.js';
import type { HealAttemptResult } from '../health/health.snapshot.js';
import type { HealthStatus } from '../health/health-status.js';

interface AdminEventBase {
  /** Position in the event log: 1, 2, 3, … in the order events were recorded; never reused while the process runs. */
  readonly id: number;
  /** When it happened, in clock ms (epoch ms with the system clock). */
  readonly at: number;
}

/** A breaker changed state. */
export interface BreakerTransitionEvent extends AdminEventBase {
  readonly type: 'breaker.transition';
  readonly breaker: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** The breaker's reason, e.g. `failure rate 60% >= 50%`, `open duration elapsed`, `operator: maintenance`. */
  readonly reason: string;
}

/**
 * Calls a breaker rejected, sampled: at most one event per breaker per `rejectionSampleMs`, counting every
 * rejection since the previous one (from the breaker's own counter: nothing is done per call).
 */
export interface BreakerRejectionsEvent extends AdminEventBase {
  readonly type: 'breaker.rejections';
  readonly breaker: string;
  /** Rejections in (`fromAt`, `at`]. */
  readonly count: number;
  /** Start of the counted period (clock ms). */
  readonly fromAt: number;
  /** The breaker's state when the sample was taken. */
  readonly state: CircuitState;
}

/** A health component's status changed (a check, staleness, or its breaker). */
export interface ComponentStatusEvent extends AdminEventBase {
  readonly type: 'component.status';
  readonly component: string;
  readonly from: HealthStatus;
  readonly to: HealthStatus;
  readonly reason?: string;
}

/** A heal attempt finished, or was skipped. */
export interface ComponentHealEvent extends AdminEventBase {
  readonly type: 'component.heal';
  readonly component: string;
  readonly attempt: number;
  readonly result: HealAttemptResult;
  readonly durationMs: number;
  readonly verified: boolean;
  readonly message?: string;
}

/** Healing gave up on a component (`maxAttempts` within `windowMs`). */
export interface ComponentGaveUpEvent extends AdminEventBase {
  readonly type: 'component.gave_up';
  readonly component: string;
  readonly attempts: number;
}

/** A component's heal backoff and GAVE_UP were cleared. */
export interface ComponentHealResetEvent extends AdminEventBase {
  readonly type: 'component.heal_reset';
  readonly component: string;
  readonly reason: 'stable' | 'operator';
}

/** What an operator did, through `OperatorService.apply` (the admin routes, the CLI, the dashboard). */
export interface OperatorActionEvent extends AdminEventBase {
  readonly type: 'operator.action';
  /** The token's label, or `operator`. */
  readonly actor: string;
  readonly action: OperatorActionName;
  /** Set for breaker actions. */
  readonly breaker?: string;
  /** Set for component actions. */
  readonly component?: string;
  /** Why, as the operator gave it (required for breaker actions). */
  readonly reason?: string;
  /** Breaker state, or component status, before the action. */
  readonly from: string;
  /** … and after it. */
  readonly to: string;
  /**
   * `store`: a breaker action taken on another replica (or before this one started), applied here from the
   * shared `BreakerOverrideStore`. Absent: taken through this replica.
   */
  readonly via?: 'store';
}

/** Breaker actions of the admin API. */
export type BreakerActionName = 'force-open' | 'disable' | 'metrics-only' | 'reset';
/** Component actions of the admin API. */
export type ComponentActionName = 'check' | 'heal-reset';
export type OperatorActionName = BreakerActionName | ComponentActionName;

/** Every event the admin event log records. */
export type AdminEvent =
  | BreakerTransitionEvent
  | BreakerRejectionsEvent
  | ComponentStatusEvent
  | ComponentHealEvent
  | ComponentGaveUpEvent
  | ComponentHealResetEvent
  | OperatorActionEvent;

/** An event before the log gave it an id. */
export type AdminEventInput = DistributiveOmitId<AdminEvent>;

type DistributiveOmitId<T> = T extends unknown ? Omit<T, 'id'> : never;

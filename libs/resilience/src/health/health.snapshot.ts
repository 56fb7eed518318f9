import type { ComponentType, HealthScope, HealthStatus, ProbeGroup } from './health-status.js';

/** Where a component's healing stands. */
export enum HealState {
  /** Not healing: healthy, or unhealthy and about to be healed. */
  IDLE = 'IDLE',
  /** Waiting for a free slot (`maxConcurrentHeals`). */
  QUEUED = 'QUEUED',
  /** A heal is running, or its verification (see `healing.verifyWindowMs`). */
  HEALING = 'HEALING',
  /** Waiting out the backoff before the next attempt. */
  BACKOFF = 'BACKOFF',
  /** `maxAttempts` within `windowMs` used up: no automatic heal until the component recovers or `resetHeal`. */
  GAVE_UP = 'GAVE_UP',
}

/** How far a given-up component pulls the instance down. */
export type EscalationLevel = 'none' | 'readiness' | 'liveness';

/** Outcome of one heal attempt. `success` means the heal resolved and the re-check passed. */
export type HealAttemptResult = 'success' | 'failure' | 'timeout' | 'skipped';

/** The healing side of a component snapshot. */
export interface HealSnapshot {
  state: HealState;
  /** Attempts since the backoff was last reset (after `stableForMs` healthy, or by an operator). */
  attempts: number;
  lastAttemptAt?: number;
  lastResult?: HealAttemptResult;
  /** When the next attempt may start (BACKOFF). */
  nextAttemptAt?: number;
  /** When healing gave up (GAVE_UP). */
  gaveUpAt?: number;
}

/** The error a check threw, as captured (message redacted). */
export interface CapturedError {
  name: string;
  message: string;
}

/**
 * A point-in-time view of one component. Snapshots are immutable and replaced on every change,
 * so holding one never sees it move. Times are clock milliseconds (epoch ms with the system clock).
 */
export interface ComponentSnapshot {
  readonly name: string;
  readonly type: ComponentType;
  readonly critical: boolean;
  readonly probes: readonly ProbeGroup[];
  readonly dependsOn: readonly string[];
  /** The circuit breakers guarding this dependency (`guards`). */
  readonly guards: readonly string[];
  /**
   * A guard that rejects every call right now (OPEN or FORCED_OPEN): the component then counts as failing
   * in its probe groups but liveness, whatever its status. Absent otherwise.
   */
  readonly blockedBy?: string;
  /** Current status, after hysteresis and staleness; while `flapping`, the component's `flapping.status` (DEGRADED by default). */
  readonly status: HealthStatus;
  /**
   * Present while the component flaps (more check-result changes than `flapping.maxTransitions` within
   * `flapping.windowMs`): it is reported as `flapping.status` says meanwhile, and `status` here is what hysteresis says beneath.
   */
  readonly flapping?: FlappingSnapshot;
  /** When the current status began. */
  readonly since: number;
  /** When the last check finished (absent until the first one). */
  readonly lastCheckedAt?: number;
  /** Status the last check itself reported (before hysteresis). */
  readonly lastResult?: HealthStatus;
  /** Duration of the last check. */
  readonly latencyMs?: number;
  /** Message of the last result or error (credentials redacted). */
  readonly message?: string;
  /** Details of the last result (string values redacted). Breaker components: the breaker's metrics. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The error of the last check, if it threw or timed out. */
  readonly error?: CapturedError;
  /** Failed results in a row: failed checks, and failed calls through a guard. */
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  /** The last result is older than `maxResultAgeMs`. */
  readonly stale: boolean;
  /** Healing state; absent for components without a heal. */
  readonly heal?: HealSnapshot;
  /** What a given-up heal currently forces down. */
  readonly escalation: EscalationLevel;
}

/** A flapping component, as its snapshot shows it. */
export interface FlappingSnapshot {
  /** When it started flapping. */
  readonly since: number;
  /** Result changes within the window, at the last result. */
  readonly transitions: number;
  readonly windowMs: number;
  /** The status hysteresis gives beneath (what healing acts on). */
  readonly status: HealthStatus;
}

/** Health of the whole system or of one probe group. */
export interface AggregateHealth {
  readonly scope: HealthScope;
  /**
   * HEALTHY, DEGRADED or UNHEALTHY once the application has bootstrapped (an empty group is HEALTHY);
   * UNKNOWN before, when nothing has been collected or checked yet.
   */
  readonly status: HealthStatus;
  /** True from the start of shutdown: every scope but liveness reports UNHEALTHY. */
  readonly shuttingDown: boolean;
  /** The components that count for this scope (for probes: members, plus escalated components). */
  readonly components: readonly ComponentSnapshot[];
}

/** One check as kept in a component's history. */
export interface CheckRecord {
  /** When the check finished. */
  at: number;
  /** Status the check reported (before hysteresis). */
  status: HealthStatus;
  durationMs: number;
  timedOut: boolean;
  message?: string;
}

/** One heal attempt as kept in a component's history. */
export interface HealRecord {
  startedAt: number;
  attempt: number;
  result: HealAttemptResult;
  durationMs: number;
  /** The re-check after the heal passed. */
  verified: boolean;
  message?: string;
}

/** The last `historySize` checks and heal attempts of a component, oldest first. */
export interface ComponentHistory {
  checks: CheckRecord[];
  heals: HealRecord[];
}

/** Lifecycle of the health module. */
export type HealthPhase = 'initializing' | 'running' | 'draining' | 'stopped';

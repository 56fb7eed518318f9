import type { Subscription } from 'rxjs';
import type { GuardView } from './breaker-guards.js';
import type { ResolvedComponent } from './health-options.validation.js';
import type { CallGuard } from './run-with-timeout.js';
import {
  type CapturedError,
  type CheckRecord,
  type ComponentSnapshot,
  type EscalationLevel,
  type HealAttemptResult,
  type HealRecord,
  HealState,
} from './health.snapshot.js';
import { HealthStatus } from './health-status.js';
import { RingBuffer } from './ring-buffer.js';

/** The last check of a component, as executed. */
export interface CheckExecution {
  at: number;
  status: HealthStatus;
  durationMs: number;
  timedOut: boolean;
  message?: string;
  details?: Record<string, unknown>;
  error?: CapturedError;
}

/** What `HealthRegistry.heal()` resolves with. */
export interface HealOutcome {
  result: HealAttemptResult;
  /** Attempt number (0 when skipped). */
  attempt: number;
  /** The re-check after the heal passed. */
  verified: boolean;
  /** The heal's error, or why it was skipped. */
  message?: string;
}

/** Mutable healing state of one component (owned by `Healer`). */
export interface HealProgress {
  state: HealState;
  attempts: number;
  /** Start times of the attempts still inside `windowMs`. */
  attemptTimes: number[];
  lastAttemptAt?: number;
  lastResult?: HealAttemptResult;
  nextAttemptAt?: number;
  gaveUpAt?: number;
  inFlight?: Promise<HealOutcome>;
  /** Aborts the running heal. */
  guard?: CallGuard;
  /** Last reason a heal was skipped, so a repeated reason is reported once. */
  lastSkip?: string;
  /** Ends the running verification window (see `healing.verifyWindowMs`): true once a check passed. */
  verifying?: (passed: boolean) => void;
}

/** The breakers a component `guards`, as followed by `GuardLinks`. */
export interface GuardState {
  readonly breakers: readonly GuardView[];
  /** Per breaker: the number of checks started (`entry.seq`) when it last opened; a later check started after. */
  readonly openedAfterSeq: number[];
  /** Successful calls through the guards at the last look, to tell whether one succeeded since. */
  successes: number;
  readonly subscription: Subscription;
}

/** Everything the registry keeps about one component. Internal: the public view is `ComponentSnapshot`. */
export interface ComponentEntry {
  readonly def: ResolvedComponent;
  status: HealthStatus;
  since: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  stale: boolean;
  last?: CheckExecution;
  /** When the first check was due (reference for staleness before any result). */
  firstDueAt: number;
  /** Number of checks started so far. */
  seq: number;
  inFlight?: Promise<void>;
  inFlightSeq: number;
  /** Aborts the running check. */
  checkGuard?: CallGuard;
  readonly heal: HealProgress;
  escalation: EscalationLevel;
  /** Names of the components that depend on this one. */
  readonly dependents: Set<string>;
  readonly checks: RingBuffer<CheckRecord>;
  readonly heals: RingBuffer<HealRecord>;
  snapshot: ComponentSnapshot;
  /** Set once unregistered: late results are dropped. */
  removed: boolean;
  /** Breaker components read their details (metrics) at read time. */
  readDetails?: () => Record<string, unknown>;
  /** The snapshot whose contributions the registry's scope tallies hold (undefined: not counted). */
  counted?: ComponentSnapshot;
  /** Its guards, once linked (at bootstrap, or at registration once running). */
  guards?: GuardState;
  /** A guard rejecting every call right now (OPEN or FORCED_OPEN). */
  blockedBy?: string;
  /** Times of the latest result changes (pass ↔ fail) inside the flapping window, oldest first; at most `maxTransitions + 1`. */
  readonly flips: number[];
  /** Set while the component flaps: it is reported as `flapping.status` says (DEGRADED by default). */
  flapping?: { since: number; transitions: number };
}

/** The status the component is reported with: while it flaps, `flapping.status` (DEGRADED by default); else its own. */
export function shownStatus(entry: ComponentEntry): HealthStatus {
  return entry.flapping ? (entry.def.flapping?.status ?? HealthStatus.DEGRADED) : entry.status;
}

/** A fresh entry: UNKNOWN until its first result (breaker components start at their breaker's status). */
export function createEntry(
  def: ResolvedComponent,
  now: number,
  historySize: number,
  status: HealthStatus = HealthStatus.UNKNOWN,
): ComponentEntry {
  const entry: ComponentEntry = {
    def,
    status,
    since: now,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    stale: false,
    firstDueAt: now + def.initialDelayMs,
    seq: 0,
    inFlightSeq: 0,
    heal: { state: HealState.IDLE, attempts: 0, attemptTimes: [] },
    escalation: 'none',
    dependents: new Set(),
    checks: new RingBuffer(historySize),
    heals: new RingBuffer(historySize),
    snapshot: undefined as unknown as ComponentSnapshot,
    removed: false,
    flips: [],
  };
  entry.snapshot = buildSnapshot(entry);
  return entry;
}

/** The immutable public view of an entry; rebuilt after every change so reads allocate nothing. */
export function buildSnapshot(entry: ComponentEntry): ComponentSnapshot {
  const { def, last, heal } = entry;
  return {
    name: def.name,
    type: def.type,
    critical: def.critical,
    probes: def.probes,
    dependsOn: def.dependsOn,
    guards: def.guards,
    ...(entry.blockedBy === undefined ? {} : { blockedBy: entry.blockedBy }),
    status: shownStatus(entry),
    ...(entry.flapping === undefined
      ? {}
      : { flapping: { ...entry.flapping, windowMs: def.flapping?.windowMs ?? 0, status: entry.status } }),
    since: entry.since,
    lastCheckedAt: last?.at,
    lastResult: last?.status,
    latencyMs: last?.durationMs,
    message: last?.message,
    details: last?.details,
    error: last?.error,
    consecutiveFailures: entry.consecutiveFailures,
    consecutiveSuccesses: entry.consecutiveSuccesses,
    stale: entry.stale,
    heal: def.heal
      ? {
          state: heal.state,
          attempts: heal.attempts,
          lastAttemptAt: heal.lastAttemptAt,
          lastResult: heal.lastResult,
          nextAttemptAt: heal.state === HealState.BACKOFF ? heal.nextAttemptAt : undefined,
          gaveUpAt: heal.gaveUpAt,
        }
      : undefined,
    escalation: entry.escalation,
  };
}

import type { ComponentSnapshot } from './health.snapshot.js';
import { HealthStatus, type HealthScope } from './health-status.js';

/** Every scope, in the order the registry reports them. */
export const HEALTH_SCOPES: readonly HealthScope[] = ['system', 'liveness', 'readiness', 'startup'];

/** True when a given-up component forces this scope down. */
export function isEscalatedFor(snapshot: ComponentSnapshot, scope: HealthScope): boolean {
  if (snapshot.escalation === 'none' || scope === 'startup') return false;
  return scope !== 'liveness' || snapshot.escalation === 'liveness';
}

/** True when the component counts for the scope: every component for `system`, members (and escalated ones) for a probe group. */
export function countsFor(snapshot: ComponentSnapshot, scope: HealthScope): boolean {
  return scope === 'system' || snapshot.probes.includes(scope) || isEscalatedFor(snapshot, scope);
}

/**
 * What one component contributes to a scope's status:
 * escalated → UNHEALTHY; HEALTHY/DEGRADED as is; UNHEALTHY or UNKNOWN → UNHEALTHY if critical, else DEGRADED.
 * A component whose guard rejects every call (`blockedBy`) counts as failing in every scope but liveness.
 */
export function contributionOf(snapshot: ComponentSnapshot, scope: HealthScope): HealthStatus {
  if (isEscalatedFor(snapshot, scope)) return HealthStatus.UNHEALTHY;
  const failing = snapshot.critical ? HealthStatus.UNHEALTHY : HealthStatus.DEGRADED;
  // Liveness asks whether a restart would help; a breaker rejecting calls never says so.
  if (snapshot.blockedBy !== undefined && scope !== 'liveness') return failing;
  switch (snapshot.status) {
    case HealthStatus.HEALTHY:
    case HealthStatus.DEGRADED:
      return snapshot.status;
    default:
      return failing;
  }
}

/**
 * The scope's status: a critical component failing (or an escalated one) → UNHEALTHY; a non-critical
 * one failing, or any DEGRADED → DEGRADED; otherwise (also when empty) HEALTHY. During shutdown every
 * scope but liveness is UNHEALTHY.
 */
export function aggregateStatus(
  snapshots: Iterable<ComponentSnapshot>,
  scope: HealthScope,
  shuttingDown: boolean,
): HealthStatus {
  if (shuttingDown && scope !== 'liveness') return HealthStatus.UNHEALTHY;
  let status = HealthStatus.HEALTHY;
  for (const snapshot of snapshots) {
    if (!countsFor(snapshot, scope)) continue;
    const contribution = contributionOf(snapshot, scope);
    if (contribution === HealthStatus.UNHEALTHY) return contribution;
    if (contribution === HealthStatus.DEGRADED) status = contribution;
  }
  return status;
}

/** What a component contributes to a scope it does not count for: nothing. */
function tallyContribution(snapshot: ComponentSnapshot | undefined, scope: HealthScope): HealthStatus {
  if (snapshot === undefined || !countsFor(snapshot, scope)) return HealthStatus.HEALTHY;
  return contributionOf(snapshot, scope);
}

/**
 * Per scope, how many components pull it to UNHEALTHY and to DEGRADED. A status change moves one
 * component's contributions, so every aggregate stays current in O(1) instead of a rescan of every
 * component (which, with many components changing in one cycle, would be quadratic). Gives the same
 * answers as {@link aggregateStatus}.
 */
export class ScopeTallies {
  private readonly unhealthy = new Map<HealthScope, number>(HEALTH_SCOPES.map((scope) => [scope, 0]));
  private readonly degraded = new Map<HealthScope, number>(HEALTH_SCOPES.map((scope) => [scope, 0]));

  /** Replaces a component's counted snapshot: `before` is what was counted (undefined if new), `after` what counts now (undefined once removed). */
  move(before: ComponentSnapshot | undefined, after: ComponentSnapshot | undefined): void {
    for (const scope of HEALTH_SCOPES) {
      const from = tallyContribution(before, scope);
      const to = tallyContribution(after, scope);
      if (from === to) continue;
      this.add(scope, from, -1);
      this.add(scope, to, 1);
    }
  }

  /** The scope's status, by the rule of {@link aggregateStatus}. */
  status(scope: HealthScope, shuttingDown: boolean): HealthStatus {
    if (shuttingDown && scope !== 'liveness') return HealthStatus.UNHEALTHY;
    if (this.unhealthy.get(scope)! > 0) return HealthStatus.UNHEALTHY;
    if (this.degraded.get(scope)! > 0) return HealthStatus.DEGRADED;
    return HealthStatus.HEALTHY;
  }

  private add(scope: HealthScope, contribution: HealthStatus, delta: number): void {
    const counts = contribution === HealthStatus.UNHEALTHY ? this.unhealthy : contribution === HealthStatus.DEGRADED ? this.degraded : undefined;
    counts?.set(scope, counts.get(scope)! + delta);
  }
}

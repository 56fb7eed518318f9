import type { ComponentSnapshot } from './health.snapshot.js';
import { HealthStatus, type HealthScope } from './health-status.js';

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
 */
export function contributionOf(snapshot: ComponentSnapshot, scope: HealthScope): HealthStatus {
  if (isEscalatedFor(snapshot, scope)) return HealthStatus.UNHEALTHY;
  switch (snapshot.status) {
    case HealthStatus.HEALTHY:
    case HealthStatus.DEGRADED:
      return snapshot.status;
    default:
      return snapshot.critical ? HealthStatus.UNHEALTHY : HealthStatus.DEGRADED;
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

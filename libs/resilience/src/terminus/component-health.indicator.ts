import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { contributionOf } from '../health/aggregation.js';
import type { ComponentSnapshot } from '../health/health.snapshot.js';
import { HealthStatus, type HealthScope } from '../health/health-status.js';

/**
 * Turns a component snapshot into a Terminus indicator result, reading only the snapshot. The indicator
 * status is the component's contribution to the scope (`up` / `degraded` / `down`), so Terminus' own
 * aggregation (any down → error, any degraded → degraded) equals the module's.
 */
@Injectable()
export class ComponentHealthIndicator {
  constructor(private readonly indicators: HealthIndicatorService) {}

  indicate(snapshot: ComponentSnapshot, scope: HealthScope): HealthIndicatorResult {
    const session = this.indicators.check(snapshot.name);
    const data = describeComponent(snapshot);
    switch (contributionOf(snapshot, scope)) {
      case HealthStatus.HEALTHY:
        return session.up(data);
      case HealthStatus.DEGRADED:
        return session.degraded(data);
      default:
        return session.down(data);
    }
  }
}

/** The detail of one component in an HTTP response. Times are ISO strings. */
export function describeComponent(s: ComponentSnapshot): Record<string, unknown> {
  return {
    health: s.status,
    type: s.type,
    critical: s.critical,
    lastCheckedAt: iso(s.lastCheckedAt),
    latencyMs: s.latencyMs ?? null,
    ...(s.message === undefined ? {} : { message: s.message }),
    consecutiveFailures: s.consecutiveFailures,
    stale: s.stale,
    ...(s.heal === undefined
      ? {}
      : {
          heal: {
            state: s.heal.state,
            attempts: s.heal.attempts,
            lastAttemptAt: iso(s.heal.lastAttemptAt),
            lastResult: s.heal.lastResult ?? null,
            nextAttemptAt: iso(s.heal.nextAttemptAt),
          },
        }),
    ...(s.escalation === 'none' ? {} : { escalation: s.escalation }),
    ...(s.blockedBy === undefined ? {} : { blockedBy: s.blockedBy }),
    ...(s.details === undefined ? {} : { details: s.details }),
  };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

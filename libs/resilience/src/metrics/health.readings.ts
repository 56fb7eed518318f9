import { HealState, type HealAttemptResult } from '../health/health.snapshot.js';
import { HealthStatus, type HealthScope } from '../health/health-status.js';

// The label values the health metrics report, shared by the Prometheus metrics and the OpenTelemetry bridge. @internal

/** Every component status. */
export const HEALTH_STATUSES: readonly HealthStatus[] = Object.values(HealthStatus);
/** The system and each probe group. */
export const HEALTH_SCOPES: readonly HealthScope[] = ['system', 'liveness', 'readiness', 'startup'];
/** Every heal state. */
export const HEAL_STATES: readonly HealState[] = Object.values(HealState);
/** Every heal attempt result. */
export const HEAL_RESULTS: readonly HealAttemptResult[] = ['success', 'failure', 'timeout', 'skipped'];

import { HealthStatus } from './health-status.js';

/** What a Terminus health indicator reports for one key (`HealthIndicatorStatus` of @nestjs/terminus). */
export type IndicatorStatus = 'up' | 'degraded' | 'down';

/**
 * A Terminus `HealthIndicatorResult`, described by its shape so this module needs no @nestjs/terminus:
 * one entry per indicator key, e.g. `{ heap: { status: 'up' } }` from `MemoryHealthIndicator.checkHeap`,
 * `HealthIndicatorService.check(key).down({ message })`, or several indicators spread into one object.
 */
export type IndicatorResult = Record<string, { status: IndicatorStatus } & Record<string, unknown>>;

/** A check result read from a Terminus indicator result or a thrown `HealthCheckError`. */
export interface IndicatorReading {
  readonly status: HealthStatus;
  /** `key: message` of every entry that is not up and carries a message, joined by `; `. */
  readonly message: string | undefined;
  /** The indicator entries, unredacted. */
  readonly details: Record<string, unknown>;
}

const STATUS_OF: Readonly<Record<IndicatorStatus, HealthStatus>> = {
  up: HealthStatus.HEALTHY,
  degraded: HealthStatus.DEGRADED,
  down: HealthStatus.UNHEALTHY,
};

/**
 * Reads a Terminus indicator result; the worst entry wins: any `down` → UNHEALTHY, else any `degraded` →
 * DEGRADED, else HEALTHY. Undefined unless `value` has at least one entry and every
 * entry is an object whose `status` is `up`, `degraded` or `down`.
 */
export function readIndicatorResult(value: unknown): IndicatorReading | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  let worst: HealthStatus | undefined;
  let message: string | undefined;
  for (const [key, entry] of Object.entries(value)) {
    const status = typeof entry === 'object' && entry !== null ? indicatorStatusOf((entry as { status?: unknown }).status) : undefined;
    if (status === undefined) return undefined;
    if (worst === undefined || rank(status) > rank(worst)) worst = status;
    const text = (entry as { message?: unknown }).message;
    if (status !== HealthStatus.HEALTHY && typeof text === 'string' && text !== '') {
      message = message === undefined ? `${key}: ${text}` : `${message}; ${key}: ${text}`;
    }
  }
  return worst === undefined ? undefined : { status: worst, message, details: value as Record<string, unknown> };
}

/**
 * Reads the `HealthCheckError` older Terminus indicators throw (`isHealthCheckError: true`, the indicator
 * result in `causes`): UNHEALTHY, with the error's message and the causes as details. Undefined for any other thrown value.
 */
export function readHealthCheckError(error: unknown): IndicatorReading | undefined {
  if (typeof error !== 'object' || error === null || (error as { isHealthCheckError?: unknown }).isHealthCheckError !== true) {
    return undefined;
  }
  const { causes, message } = error as { causes?: unknown; message?: unknown };
  const reading = readIndicatorResult(causes);
  const text = typeof message === 'string' && message !== '' ? message : reading?.message;
  return {
    // It was thrown to say the dependency is down: an `up` in the causes does not make it healthy.
    status: HealthStatus.UNHEALTHY,
    message: text,
    details: reading?.details ?? (typeof causes === 'object' && causes !== null ? (causes as Record<string, unknown>) : {}),
  };
}

function indicatorStatusOf(value: unknown): HealthStatus | undefined {
  return value === 'up' || value === 'degraded' || value === 'down' ? STATUS_OF[value] : undefined;
}

function rank(status: HealthStatus): number {
  return status === HealthStatus.UNHEALTHY ? 2 : status === HealthStatus.DEGRADED ? 1 : 0;
}

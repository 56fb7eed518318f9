import { InvalidOptionError } from '../common/invalid-option.error.js';
import { DEFAULT_BREAKER_CALL_BUCKETS } from './metrics.constants.js';

// Option checks shared by MetricsModule and OpenTelemetryMetricsModule (no prom-client here). @internal

export function callDurationBuckets(owner: string, value: unknown): number[] | undefined {
  if (value === false) return undefined;
  if (value === true) return [...DEFAULT_BREAKER_CALL_BUCKETS];
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).every((key) => key === 'buckets')) {
    return requireBuckets(owner, 'breakerCallDuration.buckets', (value as { buckets?: unknown }).buckets);
  }
  throw new InvalidOptionError(owner, 'breakerCallDuration', value, 'must be a boolean or { buckets: number[] }');
}

export function requireBoolean(owner: string, option: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new InvalidOptionError(owner, option, value, 'must be a boolean');
}

export function requireBuckets(owner: string, option: string, value: unknown): number[] {
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((bound, i) => typeof bound === 'number' && bound > 0 && Number.isFinite(bound) && (i === 0 || bound > value[i - 1]));
  if (!valid) throw new InvalidOptionError(owner, option, value, 'must be a non-empty array of increasing positive numbers');
  return [...(value as number[])];
}

export function hasFunctions(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function';
}

export function isObservable(value: unknown, name: string): boolean {
  const stream = (value as Record<string, { subscribe?: unknown } | undefined>)[name];
  return typeof stream?.subscribe === 'function';
}

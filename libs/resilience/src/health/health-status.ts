/** Status of a component, of a probe group or of the whole system. */
export enum HealthStatus {
  /** Working. */
  HEALTHY = 'HEALTHY',
  /** Serving, but impaired (slow, a fallback in use, an open breaker). Probes still answer 200 / SERVING. */
  DEGRADED = 'DEGRADED',
  /** Not working. A critical UNHEALTHY component fails its probe groups. */
  UNHEALTHY = 'UNHEALTHY',
  /** Not yet checked, or the last result is older than `maxResultAgeMs`. Counts as failing in aggregation. */
  UNKNOWN = 'UNKNOWN',
}

/** Kubernetes-style probe groups a component can belong to. */
export type ProbeGroup = 'liveness' | 'readiness' | 'startup';

/** Every probe group, in a stable order. */
export const PROBE_GROUPS: readonly ProbeGroup[] = ['liveness', 'readiness', 'startup'];

/** What an aggregate covers: every component (`system`) or one probe group. */
export type HealthScope = 'system' | ProbeGroup;

/** What kind of thing a component watches. External kinds are refused in liveness unless `allowInLiveness` is set. */
export type ComponentType = 'database' | 'cache' | 'queue' | 'http' | 'grpc' | 'breaker' | 'internal' | 'custom';

/** Every component type. */
export const COMPONENT_TYPES: readonly ComponentType[] = [
  'database',
  'cache',
  'queue',
  'http',
  'grpc',
  'breaker',
  'internal',
  'custom',
];

/** Types that depend on something outside the process: restarting the pod does not fix them. */
export const EXTERNAL_COMPONENT_TYPES: ReadonlySet<ComponentType> = new Set(['database', 'cache', 'queue', 'http', 'grpc']);

/** HEALTHY or DEGRADED: the component serves. */
export function isPassing(status: HealthStatus): boolean {
  return status === HealthStatus.HEALTHY || status === HealthStatus.DEGRADED;
}

/** UNHEALTHY or UNKNOWN: the component counts as failing. */
export function isFailing(status: HealthStatus): boolean {
  return !isPassing(status);
}

/** True for one of the four status strings. */
export function isHealthStatus(value: unknown): value is HealthStatus {
  return (
    value === HealthStatus.HEALTHY ||
    value === HealthStatus.DEGRADED ||
    value === HealthStatus.UNHEALTHY ||
    value === HealthStatus.UNKNOWN
  );
}

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, with the protocol's numbers. */
export enum ServingStatus {
  /** The server does not know the status yet (not checked, or the result is stale). */
  UNKNOWN = 0,
  SERVING = 1,
  NOT_SERVING = 2,
  /** Watch only: no service of that name is registered (yet). */
  SERVICE_UNKNOWN = 3,
}

/** The library's health statuses as the gRPC health service receives them. */
export type HealthStatusName = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY' | 'UNKNOWN';

/**
 * HEALTHY and DEGRADED → SERVING (a degraded instance still takes traffic), UNHEALTHY → NOT_SERVING,
 * UNKNOWN → UNKNOWN. The protocol has its own "not known yet" value, and every standard consumer
 * (kubelet gRPC probes, grpc_health_probe, client-side health checking) passes only SERVING, so
 * UNKNOWN fails a probe exactly like NOT_SERVING while telling the operator why.
 */
export function servingStatusOf(status: HealthStatusName | string): ServingStatus {
  switch (status) {
    case 'HEALTHY':
    case 'DEGRADED':
      return ServingStatus.SERVING;
    case 'UNHEALTHY':
      return ServingStatus.NOT_SERVING;
    default:
      return ServingStatus.UNKNOWN;
  }
}

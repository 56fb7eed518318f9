import type { Observable } from 'rxjs';
import type { HealthStatusName } from './serving-status.js';

/** One service's new health; `status: undefined` unregisters the service. */
export interface GrpcHealthUpdate {
  /** gRPC service name: `""` (overall), `liveness`, `readiness`, `startup` or a component name. */
  service: string;
  status: HealthStatusName | undefined;
}

/**
 * What the gRPC health service publishes. The default source follows the library's health
 * registry; pass your own to `GrpcHealthModule.forRoot({ source })` to publish anything else.
 */
export interface GrpcHealthSource {
  /** Every service to publish with its current health. Read once, when publishing starts. */
  current(): Iterable<readonly [service: string, status: HealthStatusName]>;
  /** Changes after that, in order. */
  readonly updates$: Observable<GrpcHealthUpdate>;
}

import { Controller, Get, Headers, Inject, ServiceUnavailableException, type Type } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import type { ResolvedHealthOptions } from '../health/health-options.validation.js';
import { HealthRegistry } from '../health/health.registry.js';
import { HealthStatus, type HealthScope } from '../health/health-status.js';
import { HEALTH_OPTIONS } from '../resilience.constants.js';
import { ComponentHealthIndicator } from './component-health.indicator.js';
import { canSeeDetails } from './detail-visibility.js';

/**
 * `GET /health` (every component), `/health/live`, `/health/ready`, `/health/startup`, in Terminus'
 * response shape: `ok` / `degraded` → 200, `error` / `shutting_down` → 503. Reads snapshots only:
 * a probe never runs a check. Readiness (and the others but liveness) answer `shutting_down` from the
 * start of shutdown. Mounted under the configured path by `healthControllerFor`.
 */
export class HealthController {
  constructor(
    @Inject(HealthRegistry) private readonly registry: HealthRegistry,
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(ComponentHealthIndicator) private readonly indicator: ComponentHealthIndicator,
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {}

  @Get()
  @HealthCheck()
  system(@Headers('authorization') authorization?: string): Promise<HealthCheckResult> {
    return this.respond('system', authorization);
  }

  @Get('live')
  @HealthCheck()
  liveness(@Headers('authorization') authorization?: string): Promise<HealthCheckResult> {
    return this.respond('liveness', authorization);
  }

  @Get('ready')
  @HealthCheck()
  readiness(@Headers('authorization') authorization?: string): Promise<HealthCheckResult> {
    return this.respond('readiness', authorization);
  }

  @Get('startup')
  @HealthCheck()
  startup(@Headers('authorization') authorization?: string): Promise<HealthCheckResult> {
    return this.respond('startup', authorization);
  }

  private async respond(scope: HealthScope, authorization: string | undefined): Promise<HealthCheckResult> {
    const { http } = this.options;
    const detailed = canSeeDetails(http.details, http.token, authorization);
    // Without details, the scope's status is all the answer holds: read the kept aggregate instead of
    // describing every component only to drop the description (the default, and what probes hit).
    const view = detailed ? (scope === 'system' ? this.registry.system() : this.registry.probe(scope)) : undefined;
    const indicators = view ? view.components.map((snapshot) => () => this.indicator.indicate(snapshot, scope)) : [];
    let result: HealthCheckResult;
    let failed = false;
    try {
      result = await this.health.check(indicators);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
      failed = true;
    }
    if (!view && !failed) {
      // Terminus' own verdict on no indicators is `ok` (or `shutting_down` once it shuts down); the
      // aggregate, computed by the rule Terminus applies to the indicators, gives the rest.
      const status = this.registry.status(scope);
      if (status === HealthStatus.DEGRADED) result = { ...result, status: 'degraded' };
      else if (status !== HealthStatus.HEALTHY) {
        result = { ...result, status: 'error' };
        failed = true;
      }
    }
    if (this.registry.shuttingDown && scope !== 'liveness') {
      result = { ...result, status: 'shutting_down' };
      failed = true;
    }
    const body: HealthCheckResult = detailed ? result : ({ status: result.status } as HealthCheckResult);
    if (failed) throw new ServiceUnavailableException(body);
    return body;
  }
}

/** The controller mounted at `path` (a subclass, so each module definition gets its own route metadata). */
export function healthControllerFor(path: string): Type<HealthController> {
  class MountedHealthController extends HealthController {}
  Controller(path)(MountedHealthController);
  return MountedHealthController;
}

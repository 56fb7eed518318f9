import { Inject, Injectable } from '@nestjs/common';
import { type CheckContext, type CheckResult, HealthComponent, HealthStatus } from '@engined/resilience/health';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DOWNSTREAM_BREAKER } from './downstream.breaker.js';
import { QuoteClient } from './quote.client.js';

/**
 * The downstream as a health component: the check asks its grpc.health.v1 service for its
 * overall status, the heal rebuilds the channel (a fresh channel dials at once instead of
 * waiting out grpc-js' reconnect backoff). Readiness, non-critical: without the downstream,
 * EnrichRecord still answers with the fallback, so the daemon is only DEGRADED.
 *
 * The component `guards` the `downstream` breaker: a passing check half-opens it at once (the next
 * EnrichRecord probes instead of waiting out the open duration), and a trip marks the component failing
 * at once (DEGRADED) without waiting for the next check.
 */
@Injectable()
export class DownstreamHealth {
  constructor(
    private readonly quotes: QuoteClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @HealthComponent({
    name: 'downstream',
    type: 'grpc',
    critical: false,
    probes: ['readiness'],
    guards: [DOWNSTREAM_BREAKER.name],
    heal: 'heal',
    healing: { backoff: { minMs: 500, maxMs: 30_000 }, maxAttempts: 10 },
  })
  async check(_context?: CheckContext): Promise<CheckResult> {
    const status = await this.quotes.checkHealth(this.config.health.checkTimeoutMs);
    return { status: status === 'SERVING' ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY, message: `grpc.health.v1: ${status}` };
  }

  heal(): void {
    this.quotes.rebuildChannel();
  }
}

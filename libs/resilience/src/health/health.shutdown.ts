import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HEALTH_OPTIONS } from '../resilience.constants.js';
import type { ResolvedHealthOptions } from './health-options.validation.js';
import { HealthRegistry } from './health.registry.js';

/**
 * The graceful-shutdown choreography: readiness fails at the first shutdown hook (liveness keeps
 * serving), then, for a drain signal, the app waits `drainDelayMs` so load balancers and Kubernetes
 * endpoints stop sending traffic before the server closes.
 *
 * It lives in a non-global module imported by `HealthModule`, because Nest runs shutdown hooks from the
 * root module outwards and global modules last: here it runs before Terminus marks every endpoint
 * `shutting_down`, whether `HealthModule` is global or not. It stops the registry's timers after the drain.
 */
@Injectable()
export class HealthShutdown implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger('HealthModule');

  constructor(
    private readonly registry: HealthRegistry,
    @Inject(HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
  ) {}

  /** The first shutdown hook Nest runs: readiness fails from here on. */
  onModuleDestroy(): void {
    this.registry.beginShutdown();
  }

  /** Waits out the drain delay (on the injected clock) for a drain signal, then stops the schedules. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.registry.beginShutdown(signal);
    const { drainDelayMs, drainSignals, clock } = this.options;
    if (signal !== undefined && drainSignals.includes(signal) && drainDelayMs > 0) {
      this.logger.log(`${signal}: readiness is failing; draining for ${drainDelayMs} ms before closing`);
      // Not registered in SchedulerRegistry: ScheduleModule clears that registry in its own shutdown hook,
      // which would leave this wait hanging. It is awaited, so it never outlives app.close().
      await new Promise<void>((resolve) => clock.setTimeout(resolve, drainDelayMs));
    }
    // Here, not in the registry's own hook: with `isGlobal: false` the registry's module is nearer the root,
    // so its hook would run before the drain and stop the checks that keep liveness truthful.
    this.registry.stop(signal);
  }
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import { Subscription } from 'rxjs';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import { BulkheadRegistry } from '../bulkhead/bulkhead.registry.js';
import { type Clock, systemClock } from '../common/clock.js';
import { HealthRegistry } from '../health/health.registry.js';
import type { BreakerMetricsSource, BulkheadMetricsSource, HealthMetricsSource, RetryMetricsSource } from '../metrics/metrics.sources.js';
import { RESILIENCE_CLOCK } from '../resilience.constants.js';
import { RetryRegistry } from '../retry/retry.registry.js';
import { BreakerInstruments } from './breaker.instruments.js';
import { HealthInstruments } from './health.instruments.js';
import { startPolicyInstruments } from './policy.instruments.js';
import { OTEL_METER_NAME, OTEL_METRICS_OPTIONS } from './otel.constants.js';
import type { ResolvedOpenTelemetryMetricsOptions } from './otel-metrics.options.js';

/**
 * Reports the app's breakers, retries, bulkheads and health through OpenTelemetry metrics, on the meter `@engined/resilience` of the
 * `meterProvider` option or of the global provider your OpenTelemetry SDK registered. Starts at module init, stops
 * at shutdown (its batch callbacks removed, its subscriptions ended).
 */
@Injectable()
export class OpenTelemetryMetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly subscription = new Subscription();
  private started = false;

  constructor(
    @Inject(OTEL_METRICS_OPTIONS) private readonly options: ResolvedOpenTelemetryMetricsOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    if (this.started) return;
    this.started = true;
    const { prefix, meterProvider, breakerCallDurationBuckets, checkDurationBuckets } = this.options;
    const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(OTEL_METER_NAME);
    const breakers = this.options.breakers ?? this.find<BreakerMetricsSource>(BreakerRegistry);
    if (breakers) this.subscription.add(new BreakerInstruments(meter, prefix, breakers, breakerCallDurationBuckets).start());
    const retries = this.find<RetryMetricsSource>(RetryRegistry);
    const bulkheads = this.find<BulkheadMetricsSource>(BulkheadRegistry);
    this.subscription.add(startPolicyInstruments(meter, prefix, retries, bulkheads));
    const health = this.options.health ?? this.find<HealthMetricsSource>(HealthRegistry);
    if (health) {
      const clock = this.options.clock ?? this.find<Clock>(RESILIENCE_CLOCK) ?? systemClock;
      this.subscription.add(new HealthInstruments(meter, prefix, health, clock, checkDurationBuckets).start());
    }
  }

  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
  }

  private find<T>(token: string | (abstract new (...args: never[]) => unknown)): T | undefined {
    try {
      return this.moduleRef.get(token, { strict: false }) as T;
    } catch {
      return undefined;
    }
  }
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Subscription } from 'rxjs';
import { BreakerRegistry } from '../breaker/breaker.registry.js';
import { BulkheadRegistry } from '../bulkhead/bulkhead.registry.js';
import { RetryRegistry } from '../retry/retry.registry.js';
import { type Clock, systemClock } from '../common/clock.js';
import { InvalidOptionError } from '../common/invalid-option.error.js';
import { HealthRegistry } from '../health/health.registry.js';
import { RESILIENCE_CLOCK } from '../resilience.constants.js';
import { BreakerMetrics } from './breaker.metrics.js';
import { hasDefaultMetrics, sharedDefaultMetrics } from './default-metrics.js';
import { GrpcServerMetrics } from './grpc-server.metrics.js';
import { HealthMetrics } from './health.metrics.js';
import { HealthStateMetrics } from './health-state.metrics.js';
import { METRICS_OPTIONS } from './metrics.constants.js';
import type { ResolvedMetricsOptions } from './metrics.options.js';
import type { BreakerMetricsSource, BulkheadMetricsSource, HealthMetricsSource, RetryMetricsSource } from './metrics.sources.js';
import { registerBulkheadMetrics, registerRetryMetrics } from './policy.metrics.js';

/**
 * The library's Prometheus metrics: breakers (read at scrape time, transitions followed), retries and bulkheads
 * (read at scrape time), health and gRPC calls; Node.js process metrics unless `defaultMetrics: false`. `GET /metrics` serves {@link metrics}.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  /** The registry holding the library's metrics (yours if you passed one). */
  readonly registry: Registry;

  private grpcMetrics: GrpcServerMetrics | undefined;
  private grpcAtServer = false;
  private readonly subscription = new Subscription();
  private readonly registered: string[] = [];
  private started = false;

  constructor(
    @Inject(METRICS_OPTIONS) private readonly options: ResolvedMetricsOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    // prom-client types metrics against the Prometheus format; an OpenMetrics registry works the same.
    this.registry = (options.registry as Registry | undefined) ?? new Registry();
    if (options.registry && options.defaultMetrics && !hasDefaultMetrics(this.registry, options.prefix)) {
      // The user's own registry gets the process metrics itself, so their other scrapes see them too.
      collectDefaultMetrics({ register: this.registry, prefix: options.prefix });
    }
    if (options.grpcInterceptor) this.grpcMetrics = this.createGrpcMetrics();
  }

  /**
   * gRPC call metrics, recorded by `GrpcMetricsInterceptor` or, with `withGrpcMetrics()`, by a grpc-js
   * server interceptor. Undefined with `grpcInterceptor: false` and no `withGrpcMetrics()`.
   */
  get grpc(): GrpcServerMetrics | undefined {
    return this.grpcMetrics;
  }

  /** True once `withGrpcMetrics()` counts the gRPC calls at the grpc-js level; `GrpcMetricsInterceptor` then stands aside. */
  get grpcCountedByServer(): boolean {
    return this.grpcAtServer;
  }

  /**
   * Hands the gRPC metrics to a grpc-js server interceptor (`withGrpcMetrics()` calls this when the
   * server starts) and makes `GrpcMetricsInterceptor` stand aside, so no call is counted twice.
   */
  countGrpcAtServer(): GrpcServerMetrics {
    this.grpcAtServer = true;
    this.grpcMetrics ??= this.createGrpcMetrics();
    return this.grpcMetrics;
  }

  /** The exposition format's `Content-Type`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Starts following the breaker and health registries (or the sources given in the options). */
  onModuleInit(): void {
    if (this.started) return;
    this.started = true;
    const { prefix, checkDurationBuckets, breakerCallDurationBuckets: callDurationBuckets } = this.options;
    const breakers = this.options.breakers ?? this.find<BreakerMetricsSource>(BreakerRegistry);
    if (breakers) {
      const metrics = this.register(() => new BreakerMetrics(this.registry, prefix, breakers, { callDurationBuckets }));
      this.subscription.add(metrics.follow());
    }
    // Retries and bulkheads: read at scrape time, nothing to follow.
    const retries = this.find<RetryMetricsSource>(RetryRegistry);
    if (retries) this.register(() => registerRetryMetrics(this.registry, prefix, retries));
    const bulkheads = this.find<BulkheadMetricsSource>(BulkheadRegistry);
    if (bulkheads) this.register(() => registerBulkheadMetrics(this.registry, prefix, bulkheads));
    const health = this.options.health ?? this.find<HealthMetricsSource>(HealthRegistry);
    if (health) {
      const metrics = this.register(() => new HealthMetrics(this.registry, prefix, health, checkDurationBuckets));
      this.subscription.add(metrics.follow());
      const clock = this.options.clock ?? this.find<Clock>(RESILIENCE_CLOCK) ?? systemClock;
      const state = this.register(() => new HealthStateMetrics(this.registry, prefix, health, clock));
      this.subscription.add(state.follow());
    }
  }

  /** Stops following events and takes the library's metrics out of the registry. */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
    for (const name of this.registered.splice(0)) this.registry.removeSingleMetric(name);
  }

  /** The exposition text: the library's metrics, plus the Node.js process metrics when enabled. */
  async metrics(): Promise<string> {
    const { defaultMetrics, prefix } = this.options;
    if (!defaultMetrics || hasDefaultMetrics(this.registry, prefix)) return this.registry.metrics();
    return Registry.merge([this.registry, sharedDefaultMetrics(prefix, this.registry.contentType)]).metrics();
  }

  private createGrpcMetrics(): GrpcServerMetrics {
    const { prefix, grpcDurationBuckets } = this.options;
    return this.register(() => new GrpcServerMetrics(this.registry, prefix, grpcDurationBuckets));
  }

  /** Creates metrics, recording their names for removal; a name already taken names the clash. */
  private register<T>(create: () => T): T {
    const before = new Set(this.registry.getMetricsAsArray().map((metric) => metric.name));
    try {
      return create();
    } catch (error) {
      const taken = /name ([\w:]+) has already been registered/.exec(String(error))?.[1];
      if (taken === undefined) throw error;
      throw new InvalidOptionError(
        'MetricsModule',
        'registry',
        taken,
        'already holds a metric of that name (give each app sharing a registry its own prefix)',
      );
    } finally {
      for (const metric of this.registry.getMetricsAsArray()) {
        if (!before.has(metric.name)) this.registered.push(metric.name);
      }
    }
  }

  private find<T>(token: string | (abstract new (...args: never[]) => unknown)): T | undefined {
    try {
      return this.moduleRef.get(token, { strict: false }) as T;
    } catch {
      return undefined;
    }
  }
}

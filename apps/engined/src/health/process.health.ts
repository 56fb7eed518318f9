import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type CheckResult, HealthComponent, HealthStatus } from '@engined/resilience/health';

/** Event-loop delay (p99 since the last check) above which the daemon is DEGRADED, then UNHEALTHY. */
export const EVENT_LOOP_DEGRADED_MS = 200;
export const EVENT_LOOP_UNHEALTHY_MS = 2_000;
/** Share of the V8 heap limit in use above which the daemon is DEGRADED, then UNHEALTHY. */
export const HEAP_DEGRADED_RATIO = 0.85;
export const HEAP_UNHEALTHY_RATIO = 0.95;

/**
 * The process itself as two health components, the only ones in liveness: a restart does
 * fix a blocked event loop or a heap at its limit, while it never fixes a dead database.
 * The event loop is in readiness too: a daemon that cannot run its callbacks should not get
 * traffic. Owns the event-loop delay histogram (enabled at init, disabled at shutdown).
 */
@Injectable()
export class ProcessHealth implements OnModuleInit, OnApplicationShutdown {
  private histogram: IntervalHistogram | undefined;

  onModuleInit(): void {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
  }

  onApplicationShutdown(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** p99 event-loop delay since the previous check. */
  @HealthComponent({ name: 'event-loop', type: 'internal', probes: ['liveness', 'readiness'], intervalMs: 10_000 })
  eventLoop(): CheckResult {
    const p99Ms = this.histogram ? this.histogram.percentile(99) / 1e6 : 0;
    this.histogram?.reset();
    return { status: eventLoopStatus(p99Ms), message: `event-loop delay p99 ${p99Ms.toFixed(1)} ms`, details: { p99Ms: Math.round(p99Ms * 10) / 10 } };
  }

  /** Heap in use against V8's limit. */
  @HealthComponent({ name: 'heap', type: 'internal', probes: ['liveness'], intervalMs: 10_000 })
  heap(): CheckResult {
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    return { status: heapStatus(used / limit), message: `heap ${mb(used)} of ${mb(limit)} MB`, details: { usedMb: mb(used), limitMb: mb(limit) } };
  }
}

/** The event loop's health for a p99 delay (ms). */
export function eventLoopStatus(p99Ms: number): HealthStatus {
  if (p99Ms >= EVENT_LOOP_UNHEALTHY_MS) return HealthStatus.UNHEALTHY;
  return p99Ms >= EVENT_LOOP_DEGRADED_MS ? HealthStatus.DEGRADED : HealthStatus.HEALTHY;
}

/** The heap's health for the share of V8's limit in use. */
export function heapStatus(ratio: number): HealthStatus {
  if (ratio >= HEAP_UNHEALTHY_RATIO) return HealthStatus.UNHEALTHY;
  return ratio >= HEAP_DEGRADED_RATIO ? HealthStatus.DEGRADED : HealthStatus.HEALTHY;
}

function mb(bytes: number): number {
  return Math.round(bytes / 1_048_576);
}

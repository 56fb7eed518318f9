import { describe, expect, it } from '@jest/globals';
import { HealthStatus } from '@engined/resilience/health';
import { eventLoopStatus, heapStatus, ProcessHealth } from './process.health.js';

describe('process health thresholds', () => {
  it.each([
    [0, HealthStatus.HEALTHY],
    [199.9, HealthStatus.HEALTHY],
    [200, HealthStatus.DEGRADED],
    [1_999, HealthStatus.DEGRADED],
    [2_000, HealthStatus.UNHEALTHY],
  ])('an event-loop delay p99 of %d ms is %s', (p99Ms, status) => {
    expect(eventLoopStatus(p99Ms)).toBe(status);
  });

  it.each([
    [0.5, HealthStatus.HEALTHY],
    [0.849, HealthStatus.HEALTHY],
    [0.85, HealthStatus.DEGRADED],
    [0.95, HealthStatus.UNHEALTHY],
    [1, HealthStatus.UNHEALTHY],
  ])('a heap %d full is %s', (ratio, status) => {
    expect(heapStatus(ratio)).toBe(status);
  });
});

describe('ProcessHealth', () => {
  it('reports this process: a healthy event loop and heap, with their figures', () => {
    const health = new ProcessHealth();
    health.onModuleInit();
    try {
      expect(health.eventLoop()).toMatchObject({ status: expect.any(String), details: { p99Ms: expect.any(Number) } });
      expect(health.heap()).toMatchObject({ status: HealthStatus.HEALTHY, details: { usedMb: expect.any(Number), limitMb: expect.any(Number) } });
    } finally {
      health.onApplicationShutdown();
    }
  });
});

// N health components on one interval in a process of their own; reports event-loop delay and CPU over a window.
import 'reflect-metadata';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type HealthComponentDefinition, HealthModule, HealthRegistry, HealthStatus } from '@engined/resilience/health';
import { childChannel, runChild } from '../child-process.js';
import { ELD_RESOLUTION_MS, type SchedulerLoadResult, type SchedulerLoadSettings } from './scheduler-load.constants.js';

/** Width of the windows in which the densest burst of check starts is counted. */
const BURST_WINDOW_MS = 10;

runChild(async () => {
  let app: INestApplicationContext | undefined;
  const channel = childChannel(async () => {
    await app?.close();
  });
  const settings = JSON.parse(process.argv[2]!) as SchedulerLoadSettings;

  // Check start times while measuring, to find the densest burst; a preallocated array, so recording costs no allocation.
  const starts = new Float64Array(Math.ceil((settings.components * settings.windowMs) / settings.intervalMs) * 2 + 1_000);
  let recording = false;
  let started = 0;
  let recorded = 0;
  const check = (): boolean => {
    started++;
    if (recording && recorded < starts.length) starts[recorded++] = performance.now();
    return true;
  };
  const components: HealthComponentDefinition[] = Array.from({ length: settings.components }, (_, i) => ({
    name: `component-${i}`,
    type: 'internal',
    check,
  }));

  @Module({
    imports: [
      HealthModule.forRoot({
        http: { enabled: false },
        components,
        defaults: { intervalMs: settings.intervalMs, jitter: settings.jitter },
      }),
    ],
  })
  class SchedulerLoadModule {}

  app = await NestFactory.createApplicationContext(SchedulerLoadModule, { logger: ['error', 'warn'] });
  const registry = app.get(HealthRegistry);
  await sleep(settings.warmupMs);

  const histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const startedBefore = started;
  recording = true;
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await sleep(settings.windowMs);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  histogram.disable();
  recording = false;

  const healthy = registry.components().filter((snapshot) => snapshot.status === HealthStatus.HEALTHY).length;
  const result: SchedulerLoadResult = {
    wallMs,
    userMs: cpu.user / 1_000,
    systemMs: cpu.system / 1_000,
    checksPerSecond: ((started - startedBefore) / wallMs) * 1_000,
    delayP50Ms: excessMs(histogram.percentile(50)),
    delayP99Ms: excessMs(histogram.percentile(99)),
    delayMaxMs: excessMs(histogram.max),
    samples: histogram.count,
    densestBurst: densest(starts.subarray(0, recorded), BURST_WINDOW_MS),
    healthy,
  };
  channel.send({ type: 'result', result });
});

/** A histogram value (ns, a whole sampling period) as the delay beyond the period, ms. */
function excessMs(ns: number): number {
  return Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
}

/** Most check starts within any `windowMs` (the starts are in ascending order). */
function densest(starts: Float64Array, windowMs: number): number {
  let best = 0;
  let from = 0;
  for (let to = 0; to < starts.length; to++) {
    while (starts[to]! - starts[from]! > windowMs) from++;
    best = Math.max(best, to - from + 1);
  }
  return best;
}

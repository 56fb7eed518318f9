// The health module's own cost per check: `runNow(name)` in a loop over 1,000 components whose check returns true.
import 'reflect-metadata';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type HealthComponentDefinition, HealthModule, HealthRegistry } from '@engined/resilience/health';
import { childChannel, runChild } from '../child-process.js';
import { median } from '../latency.js';
import { CHECK_COST_COMPONENTS, CHECK_COST_PASSES, CHECK_COST_ROUNDS, type CheckCostResult } from './check-cost.constants.js';

runChild(async () => {
  let app: INestApplicationContext | undefined;
  const channel = childChannel(async () => {
    await app?.close();
  });
  let checks = 0;
  const components: HealthComponentDefinition[] = Array.from({ length: CHECK_COST_COMPONENTS }, (_, i) => ({
    name: `component-${i}`,
    type: 'internal',
    check: () => {
      checks++;
      return true;
    },
  }));

  // An interval far beyond the run: the only checks are the ones runNow starts (plus one each at bootstrap).
  @Module({ imports: [HealthModule.forRoot({ http: { enabled: false }, components, defaults: { intervalMs: 3_600_000 } })] })
  class CheckCostModule {}

  app = await NestFactory.createApplicationContext(CheckCostModule, { logger: ['error', 'warn'] });
  const registry = app.get(HealthRegistry);
  const names = components.map((component) => component.name);
  const pass = async (): Promise<void> => {
    for (const name of names) await registry.runNow(name);
  };
  await pass(); // warm-up
  const cpuUs: number[] = [];
  const wallUs: number[] = [];
  for (let round = 0; round < CHECK_COST_ROUNDS; round++) {
    const before = checks;
    const cpu = process.cpuUsage();
    const wall = performance.now();
    for (let i = 0; i < CHECK_COST_PASSES; i++) await pass();
    const used = process.cpuUsage(cpu);
    const elapsedMs = performance.now() - wall;
    const ran = checks - before;
    if (ran !== CHECK_COST_PASSES * names.length) throw new Error(`expected ${CHECK_COST_PASSES * names.length} checks, ${ran} ran`);
    cpuUs.push((used.user + used.system) / ran);
    wallUs.push((elapsedMs * 1_000) / ran);
  }
  const result: CheckCostResult = { cpuUs: median(cpuUs), wallUs: median(wallUs), cpuRoundsUs: cpuUs };
  channel.send({ type: 'result', result });
});

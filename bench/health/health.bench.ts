import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import { formatNumber } from '../markdown-table.js';
import { measureCheckCost } from './check-cost.js';
import { CHECK_COST_COMPONENTS, CHECK_COST_PASSES, CHECK_COST_ROUNDS, type CheckCostResult } from './check-cost.constants.js';
import { measureReadyLatency, READY_REQUESTS, READY_WARMUP_REQUESTS, type ReadyLatencyRun } from './ready-latency.js';
import { HANG_MS, READY_COMPONENTS } from './ready-server.constants.js';
import { ELD_RESOLUTION_MS, type SchedulerLoadResult } from './scheduler-load.constants.js';
import { LOAD_COMPONENTS, LOAD_INTERVAL_MS, measureSchedulerLoad, type SchedulerLoadCase, schedulerLoadCases } from './scheduler-load.js';

const READY_P99_GOAL_MS = 2;
const DELAY_P99_GOAL_MS = 10;
const CPU_GOAL_PERCENT = 5;
const CHECK_COST_CASE = 'per-check cost: runNow(name) over 1,000 components';

/** Issue #3's goals: probe latency while a check hangs, and the cost of 1,000 scheduled components. */
const healthGroup: BenchGroup = {
  name: 'health',
  description: `health module: /health/ready latency while a check hangs; ${formatNumber(LOAD_COMPONENTS)} components at a ${LOAD_INTERVAL_MS / 1_000} s interval`,
  async run(context: BenchContext): Promise<BenchSection[]> {
    const selected = (name: string): boolean => context.filter === undefined || context.filter.test(name);
    const sections: BenchSection[] = [];
    let ready: ReadyLatencyRun | undefined;
    if (selected('/health/ready')) {
      ready = await measureReadyLatency(context.log);
      sections.push(readySection(ready));
    }
    const loads: [SchedulerLoadCase, SchedulerLoadResult][] = [];
    for (const loadCase of schedulerLoadCases.filter((c) => selected(c.name))) {
      context.log(`  ${loadCase.name}: ${loadCase.settings.warmupMs / 1_000} s warm-up, ${loadCase.settings.windowMs / 1_000} s measured`);
      loads.push([loadCase, await measureSchedulerLoad(loadCase)]);
    }
    if (loads.length > 0) sections.push(loadSection(loads));
    if (selected(CHECK_COST_CASE)) {
      context.log(`  ${CHECK_COST_CASE}`);
      sections.push(checkCostSection(await measureCheckCost()));
    }
    sections.push(goalsSection(ready, loads));
    return sections;
  },
};

export default healthGroup;

function readySection(run: ReadyLatencyRun): BenchSection {
  return {
    title: `HTTP probe latency while the database check hangs for ${HANG_MS / 1_000} s`,
    columns: ['Request', 'in flight', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server p50 ms', 'server p99 ms'],
    rows: run.results.map(({ name, concurrency, client, server }) => [
      name,
      String(concurrency),
      formatNumber(client.count),
      formatNumber(client.p50, 2),
      formatNumber(client.p90, 2),
      formatNumber(client.p99, 2),
      formatNumber(client.max, 2),
      formatNumber(server.p50, 2),
      formatNumber(server.p99, 2),
    ]),
    notes: [
      `A Nest 12 app (Express) in its own process, with HealthModule and ${READY_COMPONENTS} components in readiness. The client is the bench process, over loopback and keep-alive connections. Per concurrency, each client worker sends the three requests in turn (so all rows meet the same moments of load): ${READY_WARMUP_REQUESTS} untimed, then ${formatNumber(READY_REQUESTS)} timed per row.`,
      `The \`database\` check passed once, then hung for ${HANG_MS / 1_000} s (its timeout is 15 s). Every row was measured while it hung: the last request ended ${formatNumber(run.measuredWithinMs / 1_000, 1)} s after the hang began. Every response was 200 with status ok.`,
      'p50…max: client side, from sending the request to the end of the body. server: from the first Express middleware to the last byte handed to the socket. "GET /ping" is a plain controller of the same app: the floor of Nest + Express + this machine.',
    ],
  };
}

function loadSection(loads: readonly [SchedulerLoadCase, SchedulerLoadResult][]): BenchSection {
  return {
    title: `${formatNumber(LOAD_COMPONENTS)} components at a ${LOAD_INTERVAL_MS / 1_000} s interval: event-loop delay and CPU`,
    columns: ['Case', 'checks/s', 'CPU, % of one core', 'user / sys %', 'loop delay p50 ms', 'p99 ms', 'max ms', 'densest 10 ms', 'window'],
    rows: loads.map(([loadCase, result]) => [
      loadCase.name,
      formatNumber(result.checksPerSecond),
      `${formatNumber(cpuPercent(result), 2)} %`,
      `${formatNumber(percentOfWall(result.userMs, result), 2)} / ${formatNumber(percentOfWall(result.systemMs, result), 2)}`,
      formatNumber(result.delayP50Ms, 2),
      formatNumber(result.delayP99Ms, 2),
      formatNumber(result.delayMaxMs, 2),
      formatNumber(result.densestBurst),
      `${formatNumber(result.wallMs / 1_000, 1)} s`,
    ]),
    notes: [
      "Each row is a fresh process holding a Nest application context with HealthModule (no HTTP, nothing subscribed to its events) and N components whose check returns true at once. The row measures the module's own scheduling, bookkeeping and snapshots.",
      `Measured after the warm-up. CPU: \`process.cpuUsage()\` (user + system) over the window, divided by its wall time. Loop delay: \`monitorEventLoopDelay({ resolution: ${ELD_RESOLUTION_MS} })\` records each ${ELD_RESOLUTION_MS} ms sampling period whole, so the table shows the excess over ${ELD_RESOLUTION_MS} ms. The idle baseline shows what this shared machine adds by itself.`,
      '"densest 10 ms": the most checks that started within any 10 ms of the window. With jitter 0 the components keep the phase they had at bootstrap and run in one burst; jitter spreads them a little more with every cycle.',
    ],
  };
}

function checkCostSection(result: CheckCostResult): BenchSection {
  return {
    title: 'The module’s own cost per check (no timer wake-up)',
    columns: ['Case', 'CPU µs/check', 'wall µs/check', 'rounds (CPU µs)', 'at 1,000 checks/s'],
    rows: [
      [
        CHECK_COST_CASE,
        formatNumber(result.cpuUs, 1),
        formatNumber(result.wallUs, 1),
        result.cpuRoundsUs.map((us) => formatNumber(us, 1)).join(' / '),
        `${formatNumber(result.cpuUs / 10, 2)} % of one core`,
      ],
    ],
    notes: [
      `A fresh process, ${formatNumber(CHECK_COST_COMPONENTS)} components (interval 1 h, so no scheduled check interferes); each round awaits \`runNow(name)\` for every component ${CHECK_COST_PASSES} times; the median of ${CHECK_COST_ROUNDS} rounds. A check that returns true costs this much in the module: the check-timeout timer armed and cleared, the next cycle armed (both also registered in SchedulerRegistry), the guard and its promises, the result, the history record, the event and a new snapshot.`,
    ],
  };
}

function cpuPercent(result: SchedulerLoadResult): number {
  return percentOfWall(result.userMs + result.systemMs, result);
}

function percentOfWall(ms: number, result: SchedulerLoadResult): number {
  return (ms / result.wallMs) * 100;
}

function goalsSection(ready: ReadyLatencyRun | undefined, loads: readonly [SchedulerLoadCase, SchedulerLoadResult][]): BenchSection {
  const rows: string[][] = [];
  const row = (goal: string, target: string, measured: string, met: boolean): void => {
    rows.push([goal, target, measured, met ? 'yes' : 'NO']);
  };
  for (const result of ready?.results.filter((r) => r.name.includes('/health/ready')) ?? []) {
    row(
      `${result.name.replace('GET ', '')}, ${result.concurrency} in flight, a check hanging: p99`,
      `≤ ${READY_P99_GOAL_MS} ms`,
      `${formatNumber(result.client.p99, 2)} ms`,
      result.client.p99 <= READY_P99_GOAL_MS,
    );
  }
  for (const [loadCase, result] of loads.filter(([c]) => c.goal)) {
    row(`${loadCase.name}: loop delay p99`, `≤ ${DELAY_P99_GOAL_MS} ms`, `${formatNumber(result.delayP99Ms, 2)} ms`, result.delayP99Ms <= DELAY_P99_GOAL_MS);
    row(`${loadCase.name}: CPU`, `≤ ${CPU_GOAL_PERCENT} %`, `${formatNumber(cpuPercent(result), 2)} %`, cpuPercent(result) <= CPU_GOAL_PERCENT);
  }
  return { title: 'Goals (issue #3) on this run', columns: ['Goal', 'Target', 'Measured', 'Met'], rows };
}

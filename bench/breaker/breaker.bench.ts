import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import type { CallCost } from '../call-cost.js';
import { measureScenarios, type CallScenario } from '../call-scenarios.js';
import { formatNumber } from '../markdown-table.js';
import { adminCases } from './admin.cases.js';
import { metricsCases } from './metrics.cases.js';
import { cockatielFailingCases, cockatielRejectedCases, cockatielSuccessCases, cockatielTimeoutCases } from './cockatiel.cases.js';
import { decoratorSuccessCase, decoratorTimeoutCase } from './decorator.cases.js';
import { enginedFailingCases, enginedRejectedCases, enginedSuccessCases, enginedTimeoutCases } from './engined.cases.js';
import { IDLE_BREAKERS, measureIdleFootprints, type IdleFootprint } from './idle-footprint.js';
import { opossumFailingCases, opossumRejectedCases, opossumSuccessCases, opossumTimeoutCases } from './opossum.cases.js';
import { fail, succeed } from './workloads.js';

const BARE = 'bare async call';
const BARE_FAILING = 'bare failing async call';

async function passThrough(fn: () => Promise<number>): Promise<number> {
  return await fn();
}

const scenarios: readonly CallScenario[] = [
  {
    title: 'Baseline',
    baseline: BARE,
    cases: [
      { name: BARE, expect: 'resolves', setup: () => ({ call: () => succeed() }) },
      { name: 'empty async wrapper', expect: 'resolves', setup: () => ({ call: () => passThrough(succeed) }) },
      { name: BARE_FAILING, expect: 'rejects', setup: () => ({ call: () => fail() }) },
    ],
    notes: [
      'Every row is one awaited call in the same loop (`try { await call() } catch {}`), so the loop\'s own cost is in every row; "added" subtracts the baseline named in each table.',
      'A failing async call is expensive by itself on Node 20 (it rejects before anyone listens, which runs the unhandled-rejection bookkeeping): failure rows are measured from that row.',
    ],
  },
  {
    title: 'Success path, no timeout',
    baseline: BARE,
    cases: [...enginedSuccessCases, decoratorSuccessCase, ...cockatielSuccessCases, ...opossumSuccessCases],
  },
  {
    title: 'Success path, per-call timeout of 1 s',
    baseline: BARE,
    cases: [...enginedTimeoutCases, decoratorTimeoutCase, ...cockatielTimeoutCases, ...opossumTimeoutCases],
    notes: [
      '"fn ignores signal": the function declares no parameter, so the breaker builds no per-call AbortSignal (as for a decorated method that does not ask for the signal).',
      '"fn reads signal": the function takes the signal; the breaker then builds a per-call AbortController, as cockatiel\'s timeout policy does on every call.',
    ],
  },
  {
    title: 'Failing call (the dependency rejects at once with a pre-built Error)',
    baseline: BARE_FAILING,
    cases: [...enginedFailingCases, ...cockatielFailingCases, ...opossumFailingCases],
    notes: [
      'None of these breakers ever opens, so every call takes the failure path. engined: a count window caps minimumCalls at its size, so count windows run in METRICS_ONLY (records like CLOSED, never rejects, reads no clock); the time window runs both in METRICS_ONLY and in CLOSED with minimumCalls above any call count; the consecutive window runs in CLOSED with a threshold no run reaches.',
      'cockatiel: CountBreaker wrapped so that its verdict is dropped (same recording work, one extra call); ConsecutiveBreaker with a threshold no run reaches; SamplingBreaker with minimumRps out of reach. opossum: errorThresholdPercentage 100 (it opens only above the threshold).',
      'opossum, percentiles on: every failure re-reads `stats`, which concatenates and sorts the latency of every call in its time window; the window is refilled to the stated size before each batch.',
    ],
  },
  {
    title: 'Rejected call (breaker open; the dependency is never called)',
    baseline: BARE,
    cases: [...enginedRejectedCases, ...cockatielRejectedCases, ...opossumRejectedCases],
  },
  {
    title: 'Admin API (issue 10 §4): a registry breaker with the admin module off and on',
    baseline: BARE,
    cases: adminCases,
    notes: [
      '"admin API on": `ResilienceAdminModule.forRoot({ enabled: true, … })` in the same Nest application; it follows every breaker through `stateChanges$` and counts rejections from the breaker\'s own total on a timer that runs only while a breaker rejects (once a second here, for the OPEN rows), so nothing is added per call.',
      '"events$ subscribed": a subscriber on the breaker\'s `events$`, which makes the breaker read the clock and build an event object on every call: what the admin module avoids.',
    ],
  },
  {
    title: 'Metrics (issue 10 §3): a registry breaker without MetricsModule, with it, and with the opt-in call-duration histogram',
    baseline: BARE,
    cases: metricsCases,
    notes: [
      '"MetricsModule": `MetricsModule.forRoot()` in the same Nest application (Node metrics off, no route): every breaker gauge and counter is read from the breaker at scrape time, transitions through `stateChanges$`, so nothing is added per call.',
      '"+ breakerCallDuration": `forRoot({ breakerCallDuration: true })`, the `circuit_breaker_call_duration_seconds` histogram, fed by the breaker\'s `events$`: a clock read, an event object and a histogram observation per call. Checked after the run: the histogram timed every call the breaker counted.',
    ],
  },
];

/** Per-call cost of our breaker against a bare call, opossum 9 and cockatiel 3; idle footprint; the goals. */
const breakerGroup: BenchGroup = {
  name: 'breaker',
  description: 'circuit breaker: per-call cost (success, timeout, failure, rejection) against opossum 9 and cockatiel 3',
  async run(context: BenchContext): Promise<BenchSection[]> {
    const { sections, costs: byName } = await measureScenarios(scenarios, context);
    context.log('  idle footprint');
    const idle = measureIdleFootprints(context.filter);
    if (idle.length > 0) sections.push(idleSection(idle));
    sections.push(goalsSection(byName, idle));
    return sections;
  },
};

export default breakerGroup;

function idleSection(idle: readonly IdleFootprint[]): BenchSection {
  return {
    title: `${formatNumber(IDLE_BREAKERS)} idle breakers (created, never called)`,
    columns: ['Breakers', 'heap', 'heap per breaker', 'live timers'],
    rows: idle.map((footprint) => [
      footprint.name,
      `${formatNumber(footprint.heapBytes / 1_048_576, 1)} MB`,
      `${formatNumber(footprint.heapBytes / IDLE_BREAKERS)} B`,
      formatNumber(footprint.timers),
    ]),
  };
}

/** The goals of issue #2, §5, evaluated on this run's numbers. */
function goalsSection(byName: ReadonlyMap<string, CallCost>, idle: readonly IdleFootprint[]): BenchSection {
  const ns = (name: string): number | undefined => byName.get(name)?.nsPerOp;
  const added = (name: string, baseline = BARE): number | undefined => {
    const value = ns(name);
    const base = ns(baseline);
    return value === undefined || base === undefined ? undefined : value - base;
  };
  const success = added('engined execute, count(100)');
  const timed = added('engined execute, count(100), timeout; fn ignores signal');
  const ours = idle.find((footprint) => footprint.name === 'engined CircuitBreakerPolicy, default options');
  const goals: [string, string, number | undefined, (value: number) => boolean, (value: number) => string][] = [
    ['success path, added per call (execute, count(100))', '≤ 150 ns', success, (v) => v <= 150, nsText],
    ['success path vs cockatiel CountBreaker(100) overhead', '≤ 0.55×', ratio(success, added('cockatiel CountBreaker(100)')), (v) => v <= 0.55, timesText],
    ['decorator success path, added per call', '(no goal)', added('engined @CircuitBreaker(), count(100)'), () => true, nsText],
    ['per-call timeout, added per call (fn ignores signal)', '≤ 300 ns', timed, (v) => v <= 300, nsText],
    ['per-call timeout vs opossum timeout overhead (defaults)', '≤ 0.2×', ratio(timed, added('opossum, timeout 1 s, other options default')), (v) => v <= 0.2, timesText],
    ['per-call timeout, added per call (fn reads signal)', '(no goal)', added('engined execute, count(100), timeout; fn reads signal'), () => true, nsText],
    [
      'failing call, count(100,000) / count(1,000), per call',
      '≤ 1.2×',
      ratio(ns('engined failing, count(100,000), METRICS_ONLY'), ns('engined failing, count(1,000), METRICS_ONLY')),
      (v) => v <= 1.2,
      timesText,
    ],
    [
      'failing call, added over a bare failing call (count(1,000))',
      '(no goal)',
      added('engined failing, count(1,000), METRICS_ONLY', BARE_FAILING),
      () => true,
      nsText,
    ],
    [
      'cockatiel failing call, added (CountBreaker(1,000))',
      '(no goal)',
      added('cockatiel failing, CountBreaker(1,000), never trips', BARE_FAILING),
      () => true,
      nsText,
    ],
    ['rejected call, FORCED_OPEN', '≤ 1 µs', ns('engined rejected, FORCED_OPEN'), (v) => v <= 1_000, nsText],
    ['rejected call, OPEN', '≤ 1 µs', ns('engined rejected, OPEN'), (v) => v <= 1_000, nsText],
    [`${formatNumber(IDLE_BREAKERS)} idle breakers, timers`, '0', ours?.timers, (v) => v === 0, (v) => formatNumber(v)],
    [`${formatNumber(IDLE_BREAKERS)} idle breakers, heap`, '≤ 10 MB', ours?.heapBytes, (v) => v <= 10 * 1_048_576, (v) => `${formatNumber(v / 1_048_576, 1)} MB`],
  ];
  return {
    title: 'Goals (issue #2, §5) on this run',
    columns: ['Goal', 'Target', 'Measured', 'Met'],
    rows: goals.map(([goal, target, value, met, format]) =>
      value === undefined ? [goal, target, 'not run', ''] : [goal, target, format(value), target.startsWith('(') ? '' : met(value) ? 'yes' : 'NO'],
    ),
  };
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : a / b;
}

function nsText(value: number): string {
  return `${formatNumber(value)} ns`;
}

function timesText(value: number): string {
  return `${formatNumber(value, 2)}×`;
}

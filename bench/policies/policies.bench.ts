import type { BenchContext, BenchGroup, BenchSection } from '../bench-group.js';
import type { CallCost } from '../call-cost.js';
import { measureScenarios, type CallScenario } from '../call-scenarios.js';
import { formatNumber } from '../markdown-table.js';
import {
  cockatielBulkheadCases,
  cockatielBulkheadRejectedCases,
  cockatielPipelineCases,
  cockatielRetryOnceCases,
  cockatielRetrySuccessCases,
} from './cockatiel.cases.js';
import {
  enginedBulkheadCases,
  enginedBulkheadRejectedCases,
  enginedPipelineCases,
  enginedRetryOnceCases,
  enginedRetrySuccessCases,
} from './engined.cases.js';
import { failThenSucceed, succeed } from './workloads.js';

const BARE = 'bare async call';
const BARE_RETRIED = 'bare failing call, then a succeeding one';

const scenarios: readonly CallScenario[] = [
  {
    title: 'Baseline',
    baseline: BARE,
    cases: [
      { name: BARE, expect: 'resolves', setup: () => ({ call: () => succeed() }) },
      { name: BARE_RETRIED, expect: 'resolves', setup: () => ({ call: () => failThenSucceed() }) },
    ],
    notes: ['Every row is one awaited call in the same loop as the breaker group\'s; "added" subtracts the baseline named in each table.'],
  },
  {
    title: 'Retry, success at the first attempt',
    baseline: BARE,
    cases: [...enginedRetrySuccessCases, ...cockatielRetrySuccessCases],
    notes: ['"default budget": the shared retry budget records each call (one clock reading and a slice update).'],
  },
  {
    title: 'Retry, one retry per call (the first attempt fails at once, 0 ms backoff)',
    baseline: BARE,
    cases: [...enginedRetryOnceCases, ...cockatielRetryOnceCases],
    notes: [
      'Both rows do the work of "bare failing call, then a succeeding one" (Baseline table); "added" is over a bare success, so it includes that work.',
      'engined retries a 0 ms wait at once; cockatiel waits `setTimeout(0)` (a timer per retry, at least one event-loop turn).',
      'No budget on the engined row: in a loop where every call needs a retry, the default budget (20 % + 10/s) would stop retrying.',
    ],
  },
  {
    title: 'Bulkhead, a slot free',
    baseline: BARE,
    cases: [...enginedBulkheadCases, ...cockatielBulkheadCases],
  },
  {
    title: 'Bulkhead full: rejected at once',
    baseline: BARE,
    cases: [...enginedBulkheadRejectedCases, ...cockatielBulkheadRejectedCases],
    notes: ['engined builds its `BulkheadRejectedError` without a stack trace; cockatiel constructs an `Error` (stack capture) per rejection.'],
  },
  {
    title: 'Retry → breaker → bulkhead, success',
    baseline: BARE,
    cases: [...enginedPipelineCases, ...cockatielPipelineCases],
  },
];

/** Per-call cost of our retry and bulkhead (and their composition with the breaker) against cockatiel 3's. */
const policiesGroup: BenchGroup = {
  name: 'policies',
  description: 'retry and bulkhead: per-call cost against cockatiel 3 (success, one retry, rejection, composed with the breaker)',
  async run(context: BenchContext): Promise<BenchSection[]> {
    const { sections, costs } = await measureScenarios(scenarios, context);
    sections.push(goals(costs));
    return sections;
  },
};

export default policiesGroup;

/** The goal of issue #11 §3 on this run: per-call overhead at most cockatiel's. */
function goals(byName: ReadonlyMap<string, CallCost>): BenchSection {
  const added = (name: string, baseline: string): number | undefined => {
    const value = byName.get(name)?.nsPerOp;
    const base = byName.get(baseline)?.nsPerOp;
    return value === undefined || base === undefined ? undefined : value - base;
  };
  const pairs: [string, string, string, string][] = [
    ['retry, success (default budget)', 'engined RetryPolicy, success, default budget', 'cockatiel retry(handleAll), success', BARE],
    ['retry, success (no budget)', 'engined RetryPolicy, success, no budget', 'cockatiel retry(handleAll), success', BARE],
    ['retry, one retry per call', 'engined RetryPolicy, one retry (0 ms backoff), no budget', 'cockatiel retry(handleAll, ConstantBackoff(0)), one retry', BARE],
    ['bulkhead, free slot', 'engined BulkheadPolicy(10), free slot', 'cockatiel bulkhead(10), free slot', BARE],
    ['bulkhead, rejected', 'engined BulkheadPolicy(1), full: rejected', 'cockatiel bulkhead(1), full: rejected', BARE],
    ['retry → breaker → bulkhead', 'engined pipeline(retry, breaker count(100), bulkhead(10)), success', 'cockatiel wrap(retry, breaker CountBreaker(100), bulkhead(10)), success', BARE],
  ];
  return {
    title: 'Goal (issue #11 §3): per-call overhead ≤ cockatiel’s, on this run',
    columns: ['Path', 'engined added', 'cockatiel added', 'ratio', 'Met'],
    rows: pairs.map(([path, ours, theirs, baseline]) => {
      const a = added(ours, baseline);
      const b = added(theirs, baseline);
      if (a === undefined || b === undefined) return [path, a === undefined ? 'not run' : `${formatNumber(a)} ns`, b === undefined ? 'not run' : `${formatNumber(b)} ns`, '', ''];
      return [path, `${formatNumber(a)} ns`, `${formatNumber(b)} ns`, `${formatNumber(a / b, 2)}×`, a <= b ? 'yes' : 'NO'];
    }),
  };
}

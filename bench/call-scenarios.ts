import type { BenchContext, BenchSection } from './bench-group.js';
import { measureCallCosts, type CallCase, type CallCost } from './call-cost.js';
import { formatNumber } from './markdown-table.js';

/** One table of per-call cases, measured against one of its rows. */
export interface CallScenario {
  readonly title: string;
  readonly cases: readonly CallCase[];
  /** The row that "added" is measured from (a case of any scenario of the run). */
  readonly baseline: string;
  readonly notes?: readonly string[];
}

const COLUMNS = ['Case', 'ns/op', '±', 'rounds', 'ops/s', 'added', 'B/op', 'timers/1k calls'];

/**
 * Measures every case of every scenario in one `measureCallCosts` run (so they share the loop and the
 * rounds), then prints one table per scenario. The scenario titled `Baseline` gets its notes as they are;
 * the others are prefixed with what "added" is measured from. Returns the sections and the costs by name.
 */
export async function measureScenarios(
  scenarios: readonly CallScenario[],
  context: BenchContext,
): Promise<{ sections: BenchSection[]; costs: ReadonlyMap<string, CallCost> }> {
  const measured = await measureCallCosts(
    scenarios.flatMap((scenario) => scenario.cases),
    context,
  );
  const costs = new Map(measured.map((cost) => [cost.name, cost]));
  const sections: BenchSection[] = [];
  for (const scenario of scenarios) {
    const baseline = costs.get(scenario.baseline);
    const rows = scenario.cases.flatMap((c) => {
      const cost = costs.get(c.name);
      return cost === undefined ? [] : [costRow(cost, baseline)];
    });
    if (rows.length === 0) continue;
    const notes = scenario.title === 'Baseline' ? scenario.notes : [`added: over "${scenario.baseline}".`, ...(scenario.notes ?? [])];
    sections.push({ title: scenario.title, columns: COLUMNS, rows, notes });
  }
  return { sections, costs };
}

function costRow(cost: CallCost, baseline: CallCost | undefined): string[] {
  return [
    cost.name,
    formatNumber(cost.nsPerOp),
    `${formatNumber(cost.rmePercent, 1)} %`,
    cost.rounds.map((ns) => formatNumber(ns)).join(' / '),
    formatNumber(1e9 / cost.nsPerOp),
    baseline === undefined || cost === baseline ? '' : `${cost.nsPerOp >= baseline.nsPerOp ? '+' : ''}${formatNumber(cost.nsPerOp - baseline.nsPerOp)}`,
    cost.bytesPerOp === undefined ? 'GC' : formatNumber(cost.bytesPerOp),
    formatNumber(cost.timersPer1k),
  ];
}

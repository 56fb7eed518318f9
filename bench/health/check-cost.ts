import { BenchChild } from '../child-process.js';
import type { CheckCostResult } from './check-cost.constants.js';

/** Runs the check-cost child in a fresh process and returns what it measured. */
export async function measureCheckCost(): Promise<CheckCostResult> {
  const child = BenchChild.start(new URL('./check-cost.child.js', import.meta.url), [], 'health check-cost');
  try {
    return (await child.next<{ type: 'result'; result: CheckCostResult }>('result')).result;
  } finally {
    await child.stop().finally(() => child.kill());
  }
}

import { BenchChild } from '../child-process.js';
import type { SchedulerLoadResult, SchedulerLoadSettings } from './scheduler-load.constants.js';

export const LOAD_COMPONENTS = 1_000;
export const LOAD_INTERVAL_MS = 1_000;
/**
 * The jitter we recommend for many components on one interval: ±10 %, the value the `jitter` option's
 * documentation gives as its example. The README asks for "some" jitter without a number.
 */
export const RECOMMENDED_JITTER = 0.1;

export interface SchedulerLoadCase {
  readonly name: string;
  readonly settings: SchedulerLoadSettings;
  /** Whether the goals apply to this row (not to the idle baseline). */
  readonly goal: boolean;
}

export const schedulerLoadCases: readonly SchedulerLoadCase[] = [
  {
    name: 'idle baseline: HealthModule, no component',
    settings: { components: 0, intervalMs: LOAD_INTERVAL_MS, jitter: 0, warmupMs: 1_000, windowMs: 5_000 },
    goal: false,
  },
  {
    name: `${LOAD_COMPONENTS.toLocaleString('en-US')} components, ${LOAD_INTERVAL_MS / 1_000} s interval, jitter 0`,
    settings: { components: LOAD_COMPONENTS, intervalMs: LOAD_INTERVAL_MS, jitter: 0, warmupMs: 3_000, windowMs: 10_000 },
    goal: true,
  },
  {
    name: `${LOAD_COMPONENTS.toLocaleString('en-US')} components, ${LOAD_INTERVAL_MS / 1_000} s interval, jitter ${RECOMMENDED_JITTER} (recommended)`,
    settings: { components: LOAD_COMPONENTS, intervalMs: LOAD_INTERVAL_MS, jitter: RECOMMENDED_JITTER, warmupMs: 3_000, windowMs: 10_000 },
    goal: true,
  },
];

/** Runs one case in a fresh process (so no other case's garbage or timers count) and returns what it measured. */
export async function measureSchedulerLoad(loadCase: SchedulerLoadCase): Promise<SchedulerLoadResult> {
  const child = BenchChild.start(new URL('./scheduler-load.child.js', import.meta.url), [JSON.stringify(loadCase.settings)], 'health scheduler-load');
  try {
    const { settings } = loadCase;
    const { result } = await child.next<{ type: 'result'; result: SchedulerLoadResult }>('result', settings.warmupMs + settings.windowMs + 60_000);
    if (result.healthy !== settings.components) {
      throw new Error(`${loadCase.name}: ${result.healthy} of ${settings.components} components HEALTHY at the end of the window`);
    }
    return result;
  } finally {
    await child.stop().finally(() => child.kill());
  }
}

import type { ComponentHistory, ComponentSnapshot } from '../health/health.snapshot.js';

/** One health component, as `GET {prefix}/components` shows it: its snapshot plus its recent history. */
export type ComponentView = ComponentSnapshot & {
  /** The last `historySize` checks and heal attempts, oldest first. */
  readonly history: ComponentHistory;
};

export function componentView(snapshot: ComponentSnapshot, history: ComponentHistory): ComponentView {
  return { ...snapshot, history };
}

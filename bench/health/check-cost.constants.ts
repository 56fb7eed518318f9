export const CHECK_COST_COMPONENTS = 1_000;
/** Passes over every component per round, and rounds (the median round is reported). */
export const CHECK_COST_PASSES = 5;
export const CHECK_COST_ROUNDS = 5;

export interface CheckCostResult {
  /** CPU time per check (user + system), µs, median round. */
  readonly cpuUs: number;
  /** Wall time per check, µs, median round. */
  readonly wallUs: number;
  readonly cpuRoundsUs: readonly number[];
}

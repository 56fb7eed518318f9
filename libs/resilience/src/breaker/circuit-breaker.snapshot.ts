import type { CircuitState } from './circuit-state.js';
import type { CallCounts } from './circuit-breaker.events.js';

/**
 * Serialisable breaker state (`toJSON()`), restorable through `initialState` after a restart.
 * Times are clock milliseconds (epoch ms with the system clock). A HALF_OPEN breaker is saved as
 * OPEN with its original open time, so a restart never loses a pending probe slot.
 */
export interface CircuitBreakerSnapshot {
  name: string;
  state: CircuitState;
  /** When the current state began. */
  stateSince: number;
  /** When the breaker may next half-open (OPEN only). */
  openUntil?: number;
  consecutiveTrips: number;
  transitions: number;
  calls: CallCounts;
  /** Operator reason for FORCED_OPEN / DISABLED / METRICS_ONLY. */
  reason?: string;
}

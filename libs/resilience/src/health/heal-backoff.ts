/** Resolved backoff settings. */
export interface BackoffSettings {
  minMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
}

/**
 * Delay before the attempt after attempt `attempt` (1-based): `minMs · factor^(attempt−1)`, capped at
 * `maxMs`, then spread by ±`jitter` (never below 0). `random` returns a number in [0, 1).
 */
export function healBackoffDelay(attempt: number, b: BackoffSettings, random: () => number = Math.random): number {
  const base = Math.min(b.maxMs, b.minMs * b.factor ** Math.max(0, attempt - 1));
  if (b.jitter === 0) return base;
  return Math.max(0, Math.round(base * (1 + b.jitter * (2 * random() - 1))));
}

/** The delay between two checks: `intervalMs` spread by ±`jitter`. */
export function jitteredInterval(intervalMs: number, jitter: number, random: () => number = Math.random): number {
  if (jitter === 0) return intervalMs;
  return Math.max(0, Math.round(intervalMs * (1 + jitter * (2 * random() - 1))));
}

/** Largest slot that jittered due times are rounded up to: `min(50 ms, intervalMs / 20)`. */
export const MAX_CHECK_SLOT_MS = 50;

/**
 * Delay from `now` to the next check when `delayMs` came from {@link jitteredInterval}: with jitter, the
 * due time `now + delayMs` is rounded UP to the next multiple of a slot of `min(50, intervalMs / 20)` ms
 * (counted from the clock's origin), so components due in the same slot share one timer wake-up. The
 * result is never earlier than the jittered due time and less than one slot later. Without jitter (or
 * with a slot under 1 ms) the delay is returned unchanged, so the schedule stays exact.
 */
export function slottedDelay(now: number, delayMs: number, intervalMs: number, jitter: number): number {
  if (jitter === 0) return delayMs;
  const slotMs = Math.floor(Math.min(MAX_CHECK_SLOT_MS, intervalMs / 20));
  if (slotMs < 1) return delayMs;
  const dueAt = now + delayMs;
  return Math.ceil(dueAt / slotMs) * slotMs - now;
}

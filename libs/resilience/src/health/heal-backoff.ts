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

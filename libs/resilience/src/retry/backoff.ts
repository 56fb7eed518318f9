/** A backoff after validation: constant is `initialMs === maxDelayMs`, multiplier 1, no jitter. */
export interface ResolvedBackoff {
  readonly initialMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: 'none' | 'full' | 'decorrelated';
}

/**
 * The wait before retry number `retry` (1 for the first retry), given the previous wait (0 before the
 * first) and a random number in [0, 1).
 */
export function backoffDelay(backoff: ResolvedBackoff, retry: number, previousMs: number, random: number): number {
  const { initialMs, maxDelayMs, multiplier, jitter } = backoff;
  switch (jitter) {
    case 'none':
      return Math.min(maxDelayMs, initialMs * multiplier ** (retry - 1));
    case 'full':
      return random * Math.min(maxDelayMs, initialMs * multiplier ** (retry - 1));
    default: {
      // AWS's decorrelated jitter: between the base and three times the previous wait.
      const upper = Math.max(initialMs, (previousMs > 0 ? previousMs : initialMs) * 3);
      return Math.min(maxDelayMs, initialMs + random * (upper - initialMs));
    }
  }
}

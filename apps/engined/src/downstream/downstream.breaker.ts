import type { BreakerProfile } from '@engined/resilience';
import type { AppConfig } from '../config/app-config.js';

/** The breaker around calls to the downstream quote service (name and profile). */
export const DOWNSTREAM_BREAKER = { name: 'downstream', profile: 'downstream' } as const;

/** With DOWNSTREAM_SLOW_CALL_MS set: the breaker looks at the last SLOW_CALL_WINDOW calls... */
export const SLOW_CALL_WINDOW = 10;
/** ...once at least SLOW_CALL_MINIMUM_CALLS are recorded... */
export const SLOW_CALL_MINIMUM_CALLS = 5;
/** ...and trips when this percentage of them is slow, or (as before, by rate) failed. */
export const SLOW_CALL_RATE_PERCENT = 50;

/**
 * Trips after 5 failed calls in a row; probes again after 5 s, backing off to 60 s.
 * A call gets DOWNSTREAM_TIMEOUT_MS: then the breaker aborts it (`QuoteClient` cancels the
 * gRPC call on that signal) and counts a timeout.
 *
 * With DOWNSTREAM_SLOW_CALL_MS set, a call taking at least that long is slow, and the breaker
 * looks at the last 10 calls instead (once 5 are recorded): it trips when 50 % of them are slow,
 * or 50 % of them failed.
 */
export function downstreamBreakerProfile(config: AppConfig): BreakerProfile {
  const { timeoutMs, slowCallMs } = config.downstream;
  const openDurationMs = { initialMs: 5_000, maxMs: 60_000, multiplier: 2, jitter: 0.1 };
  if (slowCallMs === undefined) {
    return { window: { kind: 'consecutive', failures: 5 }, openDurationMs, timeoutMs };
  }
  return {
    window: { kind: 'count', size: SLOW_CALL_WINDOW },
    minimumCalls: SLOW_CALL_MINIMUM_CALLS,
    failureRateThreshold: 50,
    slowCallDurationMs: slowCallMs,
    slowCallRateThreshold: SLOW_CALL_RATE_PERCENT,
    openDurationMs,
    timeoutMs,
  };
}

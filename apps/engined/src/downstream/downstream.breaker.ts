import type { BreakerProfile } from '@engined/resilience';
import type { AppConfig } from '../config/app-config.js';

/** The breaker around calls to the downstream quote service (name and profile). */
export const DOWNSTREAM_BREAKER = { name: 'downstream', profile: 'downstream' } as const;

/**
 * Trips after 5 failed calls in a row; probes again after 5 s, backing off to 60 s.
 * A call gets DOWNSTREAM_TIMEOUT_MS: then the breaker aborts it (`QuoteClient` cancels the
 * gRPC call on that signal) and counts a timeout.
 */
export function downstreamBreakerProfile(config: AppConfig): BreakerProfile {
  return {
    window: { kind: 'consecutive', failures: 5 },
    openDurationMs: { initialMs: 5_000, maxMs: 60_000, multiplier: 2, jitter: 0.1 },
    timeoutMs: config.downstream.timeoutMs,
  };
}

import type { Clock } from '../common/clock.js';

/** Without calls and without `permitWithoutCalls`, a PING within this long of the previous one is a strike (grpc-core's and grpc-go's value). */
const WITHOUT_CALLS_MIN_INTERVAL_MS = 2 * 60 * 60 * 1_000;

/** The keepalive policy of one server. */
export interface PingPolicy {
  minTimeMs: number;
  permitWithoutCalls: boolean;
  maxStrikes: number;
}

/**
 * gRPC's keepalive enforcement for one connection (grpc-core's ping abuse policy, grpc-go's
 * `EnforcementPolicy`): a PING that comes sooner than the policy allows is a strike, and a client with
 * more than `maxStrikes` of them has to go. Starting a call forgives everything so far, as the servers
 * do when they send a response. Knows nothing of HTTP/2; the connection guard feeds it.
 */
export class PingStrikes {
  #strikes = 0;
  #lastPingAt: number | undefined;

  constructor(
    private readonly policy: PingPolicy,
    private readonly clock: Clock,
  ) {}

  /** A PING arrived; `withCalls`: the connection has a call open. True once the client has struck out. */
  ping(withCalls: boolean): boolean {
    const now = this.clock.now();
    const minInterval = withCalls || this.policy.permitWithoutCalls ? this.policy.minTimeMs : WITHOUT_CALLS_MIN_INTERVAL_MS;
    if (this.#lastPingAt !== undefined && now - this.#lastPingAt < minInterval) this.#strikes++;
    this.#lastPingAt = now;
    return this.#strikes > this.policy.maxStrikes;
  }

  /** A call started: the server answers it, and PINGs so far are forgiven. */
  callStarted(): void {
    this.#strikes = 0;
    this.#lastPingAt = undefined;
  }
}

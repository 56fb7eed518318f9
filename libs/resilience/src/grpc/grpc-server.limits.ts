import { InvalidOptionError } from '../common/invalid-option.error.js';

/**
 * What one client may hold on the gRPC port: per connection, per call. Every limit has a default, so a
 * `GrpcServer` is protected without configuration; set a field to change one. Time limits run on real
 * time (like grpc-js' own keepalive and idle timers), not on the server's `clock`.
 */
export interface GrpcServerLimits {
  /**
   * Calls (HTTP/2 streams) one connection may have open at once; a stream beyond it is refused with
   * RST_STREAM REFUSED_STREAM (grpc-js clients queue their calls instead; others see UNAVAILABLE), and a
   * client that acknowledged the limit and still exceeds it loses the connection. grpc-js'
   * `grpc.max_concurrent_streams`. Default 100.
   */
  maxConcurrentStreams?: number;
  /**
   * Memory one connection may use, in MB (Node's `maxSessionMemory`: header tables, queued output,
   * unacknowledged frames). Past it, new streams are refused with RST_STREAM ENHANCE_YOUR_CALM (the
   * client sees RESOURCE_EXHAUSTED) until the connection drains. grpc-js' `grpc-node.max_session_memory`,
   * which grpc-js leaves unlimited. Default 32.
   */
  maxSessionMemoryMb?: number;
  /** A connection without a call for this long is closed with GOAWAY (`grpc.max_connection_idle_ms`). 0: never. Default 300000 (5 min). */
  maxConnectionIdleMs?: number;
  /**
   * A connection older than this gets GOAWAY (calls in flight may finish during
   * {@link maxConnectionAgeGraceMs}), so long-lived clients reconnect (`grpc.max_connection_age_ms`, ±10 %
   * jitter). 0: no age limit (the default).
   */
  maxConnectionAgeMs?: number;
  /** After the age GOAWAY, calls still running get this long before the connection is cut (`grpc.max_connection_age_grace_ms`). Default 30000. */
  maxConnectionAgeGraceMs?: number;
  /**
   * Keepalive enforcement, as grpc-core and grpc-go do it: a client PING sooner than this after the
   * previous one is a strike (while the connection has no call and {@link keepalivePermitWithoutCalls}
   * is false, any PING within 2 hours is); after {@link maxPingStrikes} strikes the connection gets GOAWAY
   * ENHANCE_YOUR_CALM `too_many_pings` and is closed. Strikes reset when a call starts. Default 300000 (5 min, gRPC's).
   */
  keepaliveMinTimeMs?: number;
  /** Whether clients may send keepalive PINGs while they have no call open. Default false (gRPC's). */
  keepalivePermitWithoutCalls?: boolean;
  /** Strikes tolerated before the connection is closed (see {@link keepaliveMinTimeMs}). Default 2 (gRPC's). */
  maxPingStrikes?: number;
  /**
   * A unary or server-streaming call whose request (its message and end of stream) has not fully arrived
   * this long after its headers is cancelled (RST_STREAM CANCEL; the client sees CANCELLED), so a client
   * cannot hold calls open by never sending them. Client- and bidi-streaming calls are not limited. 0: off.
   * Checked every 500 ms (no timer per call): a call is cancelled up to that much after its limit. Default 10000.
   */
  requestTimeoutMs?: number;
}

/** {@link GrpcServerLimits} with every default applied and checked. */
export type ResolvedGrpcServerLimits = Required<GrpcServerLimits>;

export const GRPC_SERVER_LIMIT_DEFAULTS: ResolvedGrpcServerLimits = {
  maxConcurrentStreams: 100,
  maxSessionMemoryMb: 32,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 30_000,
  keepaliveMinTimeMs: 300_000,
  keepalivePermitWithoutCalls: false,
  maxPingStrikes: 2,
  requestTimeoutMs: 10_000,
};

/** Largest delay Node timers accept (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** grpc-js adds up to 10 % jitter to the connection age: the sum must still fit a timer. */
const MAX_AGE_MS = Math.floor(MAX_TIMER_MS / 1.1);

/** Largest SETTINGS_MAX_CONCURRENT_STREAMS HTTP/2 can carry. */
const MAX_STREAMS = 2 ** 31 - 1;

const INTEGER_RANGES: Record<Exclude<keyof GrpcServerLimits, 'keepalivePermitWithoutCalls'>, readonly [number, number]> = {
  maxConcurrentStreams: [1, MAX_STREAMS],
  maxSessionMemoryMb: [1, 1_000_000],
  maxConnectionIdleMs: [0, MAX_TIMER_MS],
  maxConnectionAgeMs: [0, MAX_AGE_MS],
  maxConnectionAgeGraceMs: [0, MAX_TIMER_MS],
  keepaliveMinTimeMs: [0, MAX_TIMER_MS],
  maxPingStrikes: [0, 1_000_000],
  requestTimeoutMs: [0, MAX_TIMER_MS],
};

/**
 * The limits with defaults applied.
 *
 * @throws InvalidOptionError naming `limits.<field>` and the value.
 */
export function resolveGrpcServerLimits(limits: GrpcServerLimits | undefined): ResolvedGrpcServerLimits {
  if (limits !== undefined && (typeof limits !== 'object' || limits === null)) {
    throw new InvalidOptionError('GrpcServer', 'limits', limits, 'must be an object');
  }
  const resolved: ResolvedGrpcServerLimits = { ...GRPC_SERVER_LIMIT_DEFAULTS };
  for (const [name, [min, max]] of Object.entries(INTEGER_RANGES) as [keyof typeof INTEGER_RANGES, readonly [number, number]][]) {
    const value = limits?.[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidOptionError('GrpcServer', `limits.${name}`, value, `must be an integer from ${min} to ${max}`);
    }
    resolved[name] = value;
  }
  const permit = limits?.keepalivePermitWithoutCalls;
  if (permit !== undefined && typeof permit !== 'boolean') {
    throw new InvalidOptionError('GrpcServer', 'limits.keepalivePermitWithoutCalls', permit, 'must be a boolean');
  }
  if (permit !== undefined) resolved.keepalivePermitWithoutCalls = permit;
  return resolved;
}

/** The grpc-js server options that enforce the limits grpc-js itself implements. */
export function grpcJsLimitOptions(limits: ResolvedGrpcServerLimits): Record<string, number> {
  return {
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    'grpc-node.max_session_memory': limits.maxSessionMemoryMb,
    ...(limits.maxConnectionIdleMs > 0 ? { 'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs } : {}),
    ...(limits.maxConnectionAgeMs > 0
      ? { 'grpc.max_connection_age_ms': limits.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs }
      : {}),
  };
}

import type { Clock } from '../common/clock.js';
import type { BreakerOverrideStore } from './overrides/breaker-override.store.js';

/** One accepted bearer token and who it stands for in the audit trail. */
export interface AdminTokenOption {
  /** The secret, sent as `Authorization: Bearer <token>`. At least 16 characters, no whitespace. */
  token: string;
  /** Who acts with this token: the `actor` of operator events and log lines. Default `operator`. */
  label?: string;
}

/**
 * Options of `ResilienceAdminModule.forRoot()` / the factory of `forRootAsync()`. When the module is
 * mounted, a token (`token` or `tokens`) is required: every mutating route needs one.
 */
export interface ResilienceAdminModuleOptions {
  /** The bearer token (actor `operator`). Combine with `tokens` to accept several. */
  token?: string;
  /** Bearer tokens with labels (the label is the actor recorded for that token's actions). */
  tokens?: readonly AdminTokenOption[];
  /** Serve the read routes (`GET`) without a token. Mutating routes always need one. Default false. */
  publicReads?: boolean;
  /**
   * Serve the dashboard page at `GET {prefix}/dashboard` (without a token: the page holds no data, and asks
   * for the token to read any). Default true.
   */
  dashboard?: boolean;
  /** Events kept in memory for `GET {prefix}/events` and for stream replay. Default 500. */
  eventBufferSize?: number;
  /**
   * Events queued per SSE client while its connection cannot take more; past it the queue is dropped and
   * the client gets a `dropped` event saying how many and where to resync from. Default 100.
   */
  streamQueueSize?: number;
  /** SSE clients served at once; one more gets 503. Default 16. */
  maxStreamClients?: number;
  /** A heartbeat comment goes to every idle SSE client this often (clock ms), only while a client is connected. Default 15 000. */
  heartbeatMs?: number;
  /** At most one `breaker.rejections` event per breaker per this many ms, with the count of the rejections since the last one. Default 1 000. */
  rejectionSampleMs?: number;
  /** Longest accepted `reason` of an operator action, in characters. Default 500. */
  maxReasonLength?: number;
  /** Time source of event timestamps and timers. Default the `ResilienceModule` clock, else `systemClock`. */
  clock?: Clock;
  /**
   * Where breaker actions (force-open, disable, metrics-only, reset) are shared with the other replicas: every
   * replica applies them, loads them at start and follows the store's changes. With a store, the health
   * component `breaker-overrides` (non-critical, readiness) reports whether this replica is in sync.
   * Default: an in-memory store (actions stay in this process), and no health component.
   */
  overrideStore?: BreakerOverrideStore;
}

/**
 * Extras of `forRoot` / `forRootAsync` that decide the routes, so they are fixed when the module is defined
 * (a controller's path is class metadata): with `forRootAsync`, pass them next to `useFactory`.
 */
export interface ResilienceAdminModuleExtras {
  /** Mount the admin API. Default false: the module then adds nothing to the application. */
  enabled?: boolean;
  /** Route prefix of every admin route. Default `/resilience`. */
  prefix?: string;
}

/** The mount, as validated when the module is defined. */
export interface AdminMount {
  readonly enabled: boolean;
  /** Without leading or trailing slashes, e.g. `resilience`. */
  readonly path: string;
}

/** A configured token, digested for constant-time comparison. */
export interface ResolvedAdminToken {
  readonly digest: Buffer;
  readonly label: string;
}

/** Admin options after validation (`ADMIN_OPTIONS`): every field present. */
export interface ResolvedAdminOptions {
  readonly mount: AdminMount;
  readonly tokens: readonly ResolvedAdminToken[];
  readonly publicReads: boolean;
  readonly dashboard: boolean;
  readonly eventBufferSize: number;
  readonly streamQueueSize: number;
  readonly maxStreamClients: number;
  readonly heartbeatMs: number;
  readonly rejectionSampleMs: number;
  readonly maxReasonLength: number;
  readonly clock: Clock;
  /** Undefined: the in-memory default. */
  readonly overrideStore: BreakerOverrideStore | undefined;
}

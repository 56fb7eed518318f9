import type { AppConfig } from './app-config.js';
import { DAEMON_ENV } from '../../../shared/src/config/env.schema.js';
import { type Env, type EnvValues, readEnv } from '../../../shared/src/config/env-validators.js';

export type { Env } from '../../../shared/src/config/env-validators.js';
export { MIN_ADMIN_TOKEN_LENGTH } from '../../../shared/src/config/env.schema.js';

/**
 * Validates the environment against the daemon's schema (`apps/shared/src/config/env.schema.ts`) and returns
 * the typed configuration. Used as `@nestjs/config`'s `validate` function.
 *
 * @throws ConfigValidationError naming every bad variable and why.
 */
export function validateEnv(env: Env): AppConfig {
  const e = readEnv(env, DAEMON_ENV, checkRules);
  return {
    grpc: {
      host: e.GRPC_HOST,
      port: e.GRPC_PORT,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      limits: {
        maxConcurrentStreams: e.GRPC_MAX_CONCURRENT_STREAMS,
        maxSessionMemoryMb: e.GRPC_MAX_SESSION_MEMORY_MB,
        maxConnectionIdleMs: e.GRPC_MAX_CONNECTION_IDLE_MS,
        maxConnectionAgeMs: e.GRPC_MAX_CONNECTION_AGE_MS,
        maxConnectionAgeGraceMs: e.GRPC_MAX_CONNECTION_AGE_GRACE_MS,
        keepaliveMinTimeMs: e.GRPC_KEEPALIVE_MIN_TIME_MS,
        keepalivePermitWithoutCalls: e.GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS,
        maxPingStrikes: e.GRPC_MAX_PING_STRIKES,
        requestTimeoutMs: e.GRPC_REQUEST_TIMEOUT_MS,
      },
    },
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      maxQueued: e.DATABASE_MAX_QUEUED,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      startup: e.DATABASE_STARTUP,
    },
    pglite: { dataDir: e.PGLITE_DATA_DIR, port: e.PGLITE_PORT, thread: e.PGLITE_THREAD },
    downstream: {
      url: e.DOWNSTREAM_URL,
      port: e.DOWNSTREAM_PORT,
      timeoutMs: e.DOWNSTREAM_TIMEOUT_MS,
      slowCallMs: e.DOWNSTREAM_SLOW_CALL_MS,
    },
    health: {
      checkIntervalMs: e.HEALTH_CHECK_INTERVAL_MS,
      checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
      startupGraceMs: e.HEALTH_STARTUP_GRACE_MS,
      details: e.HEALTH_DETAILS,
      token: e.HEALTH_TOKEN,
    },
    records: { listMaxPageBytes: e.LIST_MAX_PAGE_BYTES },
    metrics: { breakerCallDuration: e.METRICS_BREAKER_CALL_DURATION },
    admin: { token: e.ADMIN_TOKEN },
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    log: { format: e.LOG_FORMAT, level: e.LOG_LEVEL },
  };
}

type DaemonEnv = EnvValues<typeof DAEMON_ENV>;
type Fail = (variable: keyof DaemonEnv & string, reason: string) => void;

/** The rules that span variables (a variable that was invalid is `undefined` here and checked no further). */
function checkRules(e: DaemonEnv, fail: Fail): void {
  checkPortClashes(e, fail);
  if (e.HEALTH_DETAILS === 'token' && e.HEALTH_TOKEN === undefined) fail('HEALTH_TOKEN', 'is required when HEALTH_DETAILS=token');
  const slowCallMs = e.DOWNSTREAM_SLOW_CALL_MS;
  const timeoutMs = e.DOWNSTREAM_TIMEOUT_MS;
  if (slowCallMs !== undefined && timeoutMs !== undefined && slowCallMs >= timeoutMs) {
    fail('DOWNSTREAM_SLOW_CALL_MS', `must be less than DOWNSTREAM_TIMEOUT_MS (${slowCallMs} >= ${timeoutMs})`);
  }
}

/** Two of our own listeners on one fixed port would fail at bind time with a less helpful error. */
function checkPortClashes(e: DaemonEnv, fail: Fail): void {
  const listeners: ['GRPC_PORT' | 'HTTP_PORT' | 'DOWNSTREAM_PORT' | 'PGLITE_PORT', number | undefined][] = [
    ['GRPC_PORT', e.GRPC_PORT],
    ['HTTP_PORT', e.HTTP_PORT],
  ];
  if (e.DOWNSTREAM_URL === undefined) listeners.push(['DOWNSTREAM_PORT', e.DOWNSTREAM_PORT]);
  if (e.DATABASE_URL === undefined) listeners.push(['PGLITE_PORT', e.PGLITE_PORT]);
  const seen = new Map<number, string>();
  for (const [name, port] of listeners) {
    if (port === undefined) continue;
    const other = seen.get(port);
    if (port !== 0 && other !== undefined) fail(name, `must differ from ${other} (both are ${port})`);
    else seen.set(port, name);
  }
}

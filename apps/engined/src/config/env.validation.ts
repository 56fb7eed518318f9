import { GRPC_SERVER_LIMIT_DEFAULTS as LIMITS } from '@engined/resilience/grpc';
import type { AppConfig } from './app-config.js';
import { ConfigValidationError } from '../../../shared/src/config/config-validation.error.js';
import { type Env, EnvReader, LOG_FORMATS, LOG_LEVELS } from '../../../shared/src/config/env-reader.js';

export type { Env } from '../../../shared/src/config/env-reader.js';

/** Largest delay Node timers accept. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** grpc-js adds up to 10 % jitter to the connection age. */
const MAX_AGE_MS = Math.floor(MAX_TIMER_MS / 1.1);
const BOOLEANS = ['true', 'false'] as const;

/**
 * Validates the environment and returns the typed configuration.
 * Used as `@nestjs/config`'s `validate` function.
 *
 * @throws ConfigValidationError naming every bad variable and why.
 */
export function validateEnv(env: Env): AppConfig {
  const r = new EnvReader(env);
  const config: AppConfig = {
    grpc: {
      host: r.host('GRPC_HOST', '127.0.0.1'),
      port: r.port('GRPC_PORT', 9003),
      shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
      limits: {
        maxConcurrentStreams: r.int('GRPC_MAX_CONCURRENT_STREAMS', LIMITS.maxConcurrentStreams, 1, 100_000),
        maxSessionMemoryMb: r.int('GRPC_MAX_SESSION_MEMORY_MB', LIMITS.maxSessionMemoryMb, 1, 65_536),
        maxConnectionIdleMs: r.int('GRPC_MAX_CONNECTION_IDLE_MS', LIMITS.maxConnectionIdleMs, 0, MAX_TIMER_MS),
        maxConnectionAgeMs: r.int('GRPC_MAX_CONNECTION_AGE_MS', LIMITS.maxConnectionAgeMs, 0, MAX_AGE_MS),
        maxConnectionAgeGraceMs: r.int('GRPC_MAX_CONNECTION_AGE_GRACE_MS', LIMITS.maxConnectionAgeGraceMs, 0, MAX_TIMER_MS),
        keepaliveMinTimeMs: r.int('GRPC_KEEPALIVE_MIN_TIME_MS', LIMITS.keepaliveMinTimeMs, 0, MAX_TIMER_MS),
        keepalivePermitWithoutCalls: r.oneOf('GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS', BOOLEANS, LIMITS.keepalivePermitWithoutCalls ? 'true' : 'false') === 'true',
        maxPingStrikes: r.int('GRPC_MAX_PING_STRIKES', LIMITS.maxPingStrikes, 0, 1_000),
        requestTimeoutMs: r.int('GRPC_REQUEST_TIMEOUT_MS', LIMITS.requestTimeoutMs, 0, 600_000),
      },
    },
    http: {
      host: r.host('HTTP_HOST', '127.0.0.1'),
      port: r.port('HTTP_PORT', 9004),
    },
    database: {
      url: r.postgresUrl('DATABASE_URL'),
      poolSize: r.int('DATABASE_POOL_SIZE', 4, 1, 100),
      maxQueued: r.int('DATABASE_MAX_QUEUED', 64, 0, 100_000),
      connectTimeoutMs: r.int('DATABASE_CONNECT_TIMEOUT_MS', 2_000, 1, 120_000),
      queryTimeoutMs: r.int('DATABASE_QUERY_TIMEOUT_MS', 5_000, 1, 600_000),
      startup: r.oneOf('DATABASE_STARTUP', ['wait', 'fail'] as const, 'wait'),
    },
    pglite: {
      dataDir: r.raw('PGLITE_DATA_DIR'),
      port: r.port('PGLITE_PORT', 0),
      thread: r.oneOf('PGLITE_THREAD', ['worker', 'main'] as const, 'worker'),
    },
    downstream: {
      url: r.grpcTarget('DOWNSTREAM_URL'),
      port: r.port('DOWNSTREAM_PORT', 9005),
      timeoutMs: r.int('DOWNSTREAM_TIMEOUT_MS', 1_000, 1, 120_000),
      slowCallMs: r.optionalInt('DOWNSTREAM_SLOW_CALL_MS', 1, 120_000),
    },
    health: {
      checkIntervalMs: r.int('HEALTH_CHECK_INTERVAL_MS', 5_000, 100, 3_600_000),
      checkTimeoutMs: r.int('HEALTH_CHECK_TIMEOUT_MS', 2_000, 1, 600_000),
      startupGraceMs: r.int('HEALTH_STARTUP_GRACE_MS', 10_000, 0, 3_600_000),
      details: r.oneOf('HEALTH_DETAILS', ['never', 'always', 'token'] as const, 'never'),
      token: r.raw('HEALTH_TOKEN'),
    },
    records: {
      listMaxPageBytes: r.int('LIST_MAX_PAGE_BYTES', 1_048_576, 1_024, 64 * 1_048_576),
    },
    admin: { token: adminToken(r) },
    shutdownDrainMs: r.int('SHUTDOWN_DRAIN_MS', 2_000, 0, 600_000),
    log: {
      format: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'text'),
      level: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
    },
  };
  checkPortClashes(r, config);
  if (config.health.details === 'token' && config.health.token === undefined) {
    r.fail('HEALTH_TOKEN', 'is required when HEALTH_DETAILS=token');
  }
  const { slowCallMs, timeoutMs } = config.downstream;
  if (slowCallMs !== undefined && slowCallMs >= timeoutMs) {
    r.fail('DOWNSTREAM_SLOW_CALL_MS', `must be less than DOWNSTREAM_TIMEOUT_MS (${slowCallMs} >= ${timeoutMs})`);
  }
  if (r.issues.length > 0) throw new ConfigValidationError(r.issues);
  return config;
}

/** Shortest ADMIN_TOKEN: the admin API can force breakers open, so a guessable token is refused at start. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** ADMIN_TOKEN, checked without ever echoing it (only its length is named). */
function adminToken(r: EnvReader): string | undefined {
  const token = r.raw('ADMIN_TOKEN');
  if (token === undefined) return undefined;
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    return r.fail('ADMIN_TOKEN', `must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (got ${token.length}); generate one with: openssl rand -hex 32`);
  }
  if (/\s/.test(token)) return r.fail('ADMIN_TOKEN', 'must not contain whitespace');
  return token;
}

/** Two of our own listeners on one fixed port would fail at bind time with a less helpful error. */
function checkPortClashes(r: EnvReader, config: AppConfig): void {
  const listeners: [string, number][] = [
    ['GRPC_PORT', config.grpc.port],
    ['HTTP_PORT', config.http.port],
  ];
  if (config.downstream.url === undefined) listeners.push(['DOWNSTREAM_PORT', config.downstream.port]);
  if (config.database.url === undefined) listeners.push(['PGLITE_PORT', config.pglite.port]);
  const seen = new Map<number, string>();
  for (const [name, port] of listeners) {
    const other = seen.get(port);
    if (port !== 0 && other !== undefined) r.fail(name, `must differ from ${other} (both are ${port})`);
    else seen.set(port, name);
  }
}

import { GRPC_SERVER_LIMIT_DEFAULTS as LIMITS } from '@engined/resilience/grpc';
import type { LogLevel } from '@nestjs/common';
import type { LogFormat } from '../logging/create-logger.js';
import { boolean, grpcTarget, host, httpUrl, integer, oneOf, port, postgresUrl, secret, text } from './env-validators.js';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Largest delay Node timers accept. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** grpc-js adds up to 10 % jitter to the connection age. */
const MAX_AGE_MS = Math.floor(MAX_TIMER_MS / 1.1);
/** Shortest ADMIN_TOKEN: the admin API can force breakers open, so a guessable token is refused at start. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/**
 * Every setting of the daemon, the standalone downstream and the CLI: one declared schema (envalid specs).
 * The daemon reads {@link DAEMON_ENV}, `npm run start:downstream` {@link DOWNSTREAM_ENV}; the CLI takes its defaults
 * for `ENGINED_ADDR` / `ENGINED_HTTP` from here.
 * `docs/configuration.md` and `.env.example` are checked against it by `env.schema.spec.ts`: a variable added
 * here without its line there fails the suite. `default: undefined` means unset by default (the feature is off,
 * or the embedded/in-process default is used).
 */
export const ENV = {
  GRPC_HOST: host({ default: '127.0.0.1' }),
  GRPC_PORT: port({ default: 9003 }),
  SHUTDOWN_TIMEOUT_MS: integer(0, 600_000)({ default: 10_000 }),
  GRPC_MAX_CONCURRENT_STREAMS: integer(1, 100_000)({ default: LIMITS.maxConcurrentStreams }),
  GRPC_MAX_SESSION_MEMORY_MB: integer(1, 65_536)({ default: LIMITS.maxSessionMemoryMb }),
  GRPC_MAX_CONNECTION_IDLE_MS: integer(0, MAX_TIMER_MS)({ default: LIMITS.maxConnectionIdleMs }),
  GRPC_MAX_CONNECTION_AGE_MS: integer(0, MAX_AGE_MS)({ default: LIMITS.maxConnectionAgeMs }),
  GRPC_MAX_CONNECTION_AGE_GRACE_MS: integer(0, MAX_TIMER_MS)({ default: LIMITS.maxConnectionAgeGraceMs }),
  GRPC_KEEPALIVE_MIN_TIME_MS: integer(0, MAX_TIMER_MS)({ default: LIMITS.keepaliveMinTimeMs }),
  GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS: boolean({ default: LIMITS.keepalivePermitWithoutCalls }),
  GRPC_MAX_PING_STRIKES: integer(0, 1_000)({ default: LIMITS.maxPingStrikes }),
  GRPC_REQUEST_TIMEOUT_MS: integer(0, 600_000)({ default: LIMITS.requestTimeoutMs }),
  HTTP_HOST: host({ default: '127.0.0.1' }),
  HTTP_PORT: port({ default: 9004 }),
  DATABASE_URL: postgresUrl({ default: undefined }),
  DATABASE_POOL_SIZE: integer(1, 100)({ default: 4 }),
  DATABASE_MAX_QUEUED: integer(0, 100_000)({ default: 64 }),
  DATABASE_CONNECT_TIMEOUT_MS: integer(1, 120_000)({ default: 2_000 }),
  DATABASE_QUERY_TIMEOUT_MS: integer(1, 600_000)({ default: 5_000 }),
  DATABASE_STARTUP: oneOf(['wait', 'fail'] as const)({ default: 'wait' }),
  PGLITE_DATA_DIR: text({ default: undefined }),
  PGLITE_PORT: port({ default: 0 }),
  PGLITE_THREAD: oneOf(['worker', 'main'] as const)({ default: 'worker' }),
  DOWNSTREAM_URL: grpcTarget({ default: undefined }),
  DOWNSTREAM_HOST: host({ default: '127.0.0.1' }),
  DOWNSTREAM_PORT: port({ default: 9005 }),
  DOWNSTREAM_TIMEOUT_MS: integer(1, 120_000)({ default: 1_000 }),
  DOWNSTREAM_SLOW_CALL_MS: integer(1, 120_000)({ default: undefined }),
  HEALTH_CHECK_INTERVAL_MS: integer(100, 3_600_000)({ default: 5_000 }),
  HEALTH_CHECK_TIMEOUT_MS: integer(1, 600_000)({ default: 2_000 }),
  HEALTH_STARTUP_GRACE_MS: integer(0, 3_600_000)({ default: 10_000 }),
  HEALTH_DETAILS: oneOf(['never', 'always', 'token'] as const)({ default: 'never' }),
  HEALTH_TOKEN: text({ default: undefined }),
  LIST_MAX_PAGE_BYTES: integer(1_024, 64 * 1_048_576)({ default: 1_048_576 }),
  METRICS_BREAKER_CALL_DURATION: boolean({ default: false }),
  ADMIN_TOKEN: secret(MIN_ADMIN_TOKEN_LENGTH, '; generate one with: openssl rand -hex 32')({ default: undefined }),
  SHUTDOWN_DRAIN_MS: integer(0, 600_000)({ default: 2_000 }),
  LOG_FORMAT: oneOf(LOG_FORMATS)({ default: 'text' }),
  LOG_LEVEL: oneOf(LOG_LEVELS)({ default: 'log' }),
  ENGINED_ADDR: grpcTarget({ default: '127.0.0.1:9003' }),
  ENGINED_HTTP: httpUrl({ default: 'http://127.0.0.1:9004' }),
};

type Name = keyof typeof ENV;

/** A variable's default as written in `.env` (for the CLI, which reads its two variables itself). */
export function defaultOf(name: Name): string {
  return String(ENV[name].default);
}

function pick<K extends Name>(names: readonly K[]): Pick<typeof ENV, K> {
  return Object.fromEntries(names.map((name) => [name, ENV[name]])) as Pick<typeof ENV, K>;
}

/** The standalone downstream (`npm run start:downstream`). */
export const DOWNSTREAM_ENV = pick(['DOWNSTREAM_HOST', 'DOWNSTREAM_PORT', 'SHUTDOWN_TIMEOUT_MS', 'SHUTDOWN_DRAIN_MS', 'LOG_FORMAT', 'LOG_LEVEL']);

/** The daemon: everything but what only the standalone downstream and the CLI read. */
export const DAEMON_ENV = pick(
  (Object.keys(ENV) as Name[]).filter((name): name is Exclude<Name, 'DOWNSTREAM_HOST' | 'ENGINED_ADDR' | 'ENGINED_HTTP'> =>
    name !== 'DOWNSTREAM_HOST' && name !== 'ENGINED_ADDR' && name !== 'ENGINED_HTTP'),
);

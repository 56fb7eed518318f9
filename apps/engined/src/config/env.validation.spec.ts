import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { validateDownstreamEnv } from '../../../downstream/src/config/downstream-env.js';
import { ConfigValidationError, isConfigValidationError } from '../../../shared/src/config/config-validation.error.js';
import { type Env, validateEnv } from './env.validation.js';

const DEFAULT_LIMITS = {
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

function errorOf(env: Record<string, string>): ConfigValidationError {
  try {
    validateEnv(env);
  } catch (error) {
    if (isConfigValidationError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('validateEnv', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(validateEnv({})).toEqual({
      grpc: { host: '127.0.0.1', port: 9003, shutdownTimeoutMs: 10_000, limits: DEFAULT_LIMITS },
      http: { host: '127.0.0.1', port: 9004 },
      database: { url: undefined, poolSize: 4, maxQueued: 64, connectTimeoutMs: 2_000, queryTimeoutMs: 5_000, startup: 'wait' },
      pglite: { dataDir: undefined, port: 0, thread: 'worker' },
      downstream: { url: undefined, port: 9005, timeoutMs: 1_000, slowCallMs: undefined },
      health: { checkIntervalMs: 5_000, checkTimeoutMs: 2_000, startupGraceMs: 10_000, details: 'never', token: undefined },
      records: { listMaxPageBytes: 1_048_576 },
      metrics: { breakerCallDuration: false },
      admin: { token: undefined },
      shutdownDrainMs: 2_000,
      log: { format: 'text', level: 'log' },
    });
  });

  it('reads every variable', () => {
    const config = validateEnv({
      GRPC_HOST: '0.0.0.0',
      GRPC_PORT: '7001',
      HTTP_HOST: '::',
      HTTP_PORT: '7002',
      DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/engined',
      DATABASE_POOL_SIZE: '10',
      DATABASE_MAX_QUEUED: '0',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_QUERY_TIMEOUT_MS: '750',
      DATABASE_STARTUP: 'fail',
      PGLITE_DATA_DIR: './.data/pg',
      PGLITE_PORT: '5433',
      PGLITE_THREAD: 'main',
      DOWNSTREAM_URL: 'dns:///quotes.internal:9005',
      DOWNSTREAM_PORT: '7005',
      DOWNSTREAM_TIMEOUT_MS: '250',
      DOWNSTREAM_SLOW_CALL_MS: '100',
      HEALTH_CHECK_INTERVAL_MS: '1000',
      HEALTH_CHECK_TIMEOUT_MS: '300',
      HEALTH_STARTUP_GRACE_MS: '0',
      HEALTH_DETAILS: 'token',
      HEALTH_TOKEN: 'let-me-see',
      ADMIN_TOKEN: 'operator-token-0123456789',
      METRICS_BREAKER_CALL_DURATION: 'true',
      SHUTDOWN_DRAIN_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '3000',
      GRPC_MAX_CONCURRENT_STREAMS: '16',
      GRPC_MAX_SESSION_MEMORY_MB: '8',
      GRPC_MAX_CONNECTION_IDLE_MS: '0',
      GRPC_MAX_CONNECTION_AGE_MS: '3600000',
      GRPC_MAX_CONNECTION_AGE_GRACE_MS: '5000',
      GRPC_KEEPALIVE_MIN_TIME_MS: '10000',
      GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS: 'true',
      GRPC_MAX_PING_STRIKES: '0',
      GRPC_REQUEST_TIMEOUT_MS: '2000',
      LIST_MAX_PAGE_BYTES: '262144',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
    });
    expect(config).toEqual({
      grpc: {
        host: '0.0.0.0',
        port: 7001,
        shutdownTimeoutMs: 3_000,
        limits: {
          maxConcurrentStreams: 16,
          maxSessionMemoryMb: 8,
          maxConnectionIdleMs: 0,
          maxConnectionAgeMs: 3_600_000,
          maxConnectionAgeGraceMs: 5_000,
          keepaliveMinTimeMs: 10_000,
          keepalivePermitWithoutCalls: true,
          maxPingStrikes: 0,
          requestTimeoutMs: 2_000,
        },
      },
      http: { host: '::', port: 7002 },
      database: {
        url: 'postgres://app:s3cret@db.internal:5432/engined',
        poolSize: 10,
        maxQueued: 0,
        connectTimeoutMs: 500,
        queryTimeoutMs: 750,
        startup: 'fail',
      },
      pglite: { dataDir: './.data/pg', port: 5433, thread: 'main' },
      downstream: { url: 'dns:///quotes.internal:9005', port: 7005, timeoutMs: 250, slowCallMs: 100 },
      health: { checkIntervalMs: 1_000, checkTimeoutMs: 300, startupGraceMs: 0, details: 'token', token: 'let-me-see' },
      records: { listMaxPageBytes: 262_144 },
      metrics: { breakerCallDuration: true },
      admin: { token: 'operator-token-0123456789' },
      shutdownDrainMs: 0,
      log: { format: 'json', level: 'debug' },
    });
  });

  it('treats empty and blank values as unset', () => {
    expect(validateEnv({ DATABASE_URL: '', GRPC_PORT: '  ', DOWNSTREAM_URL: '' })).toMatchObject({
      grpc: { port: 9003 },
      database: { url: undefined },
      downstream: { url: undefined },
    });
  });

  it.each([
    ['GRPC_PORT', 'abc', 'must be an integer from 0 to 65535 (got "abc")'],
    ['GRPC_PORT', '65536', 'must be an integer from 0 to 65535'],
    ['GRPC_PORT', '-1', 'must be an integer from 0 to 65535'],
    ['HTTP_PORT', '80.5', 'must be an integer from 0 to 65535'],
    ['HTTP_PORT', '1e3', 'must be an integer from 0 to 65535'],
    ['GRPC_HOST', 'not a host', 'must be an IP address or a host name'],
    ['HTTP_HOST', 'http://localhost', 'must be an IP address or a host name'],
    ['GRPC_HOST', '256.1.1.1', 'must be an IP address or a host name'],
    ['HTTP_HOST', '10.0.0', 'must be an IP address or a host name'],
    ['DATABASE_URL', 'mysql://u:p@h/db', 'must use the postgres:// or postgresql:// scheme'],
    ['DATABASE_URL', 'not a url', 'must be a URL such as postgres://'],
    ['DATABASE_POOL_SIZE', '0', 'must be an integer from 1 to 100'],
    ['DATABASE_POOL_SIZE', 'many', 'must be an integer from 1 to 100'],
    ['DATABASE_MAX_QUEUED', '-1', 'must be an integer from 0 to 100000'],
    ['DATABASE_CONNECT_TIMEOUT_MS', '0', 'must be an integer from 1'],
    ['DATABASE_QUERY_TIMEOUT_MS', '-5', 'must be an integer from 1'],
    ['DATABASE_STARTUP', 'retry', 'must be one of wait, fail (got "retry")'],
    ['PGLITE_PORT', '99999', 'must be an integer from 0 to 65535'],
    ['PGLITE_THREAD', 'thread', 'must be one of worker, main (got "thread")'],
    ['DOWNSTREAM_URL', 'quotes', 'must be host:port or a gRPC target URI'],
    ['DOWNSTREAM_URL', 'quotes:0', 'must be host:port or a gRPC target URI'],
    ['DOWNSTREAM_URL', 'http://quotes:9005', 'must be host:port or a gRPC target URI'],
    ['DOWNSTREAM_PORT', 'x', 'must be an integer from 0 to 65535'],
    ['DOWNSTREAM_TIMEOUT_MS', '0', 'must be an integer from 1'],
    ['DOWNSTREAM_SLOW_CALL_MS', '0', 'must be an integer from 1 to 120000 (got "0")'],
    ['DOWNSTREAM_SLOW_CALL_MS', '-100', 'must be an integer from 1 to 120000'],
    ['DOWNSTREAM_SLOW_CALL_MS', '1.5', 'must be an integer from 1 to 120000'],
    ['DOWNSTREAM_SLOW_CALL_MS', 'fast', 'must be an integer from 1 to 120000'],
    ['DOWNSTREAM_SLOW_CALL_MS', '1000', 'must be less than DOWNSTREAM_TIMEOUT_MS (1000 >= 1000)'],
    ['HEALTH_CHECK_INTERVAL_MS', '10', 'must be an integer from 100'],
    ['HEALTH_CHECK_TIMEOUT_MS', '0', 'must be an integer from 1'],
    ['HEALTH_STARTUP_GRACE_MS', 'later', 'must be an integer from 0'],
    ['HEALTH_DETAILS', 'some', 'must be one of never, always, token'],
    ['SHUTDOWN_DRAIN_MS', '-1', 'must be an integer from 0'],
    ['SHUTDOWN_TIMEOUT_MS', 'soon', 'must be an integer from 0'],
    ['GRPC_MAX_CONCURRENT_STREAMS', '0', 'must be an integer from 1 to 100000 (got "0")'],
    ['GRPC_MAX_SESSION_MEMORY_MB', '0', 'must be an integer from 1 to 65536'],
    ['GRPC_MAX_CONNECTION_IDLE_MS', '-1', 'must be an integer from 0 to 2147483647'],
    ['GRPC_MAX_CONNECTION_AGE_MS', '2147483647', 'must be an integer from 0 to 1952257860'],
    ['GRPC_MAX_CONNECTION_AGE_GRACE_MS', '1h', 'must be an integer from 0 to 2147483647'],
    ['GRPC_KEEPALIVE_MIN_TIME_MS', '-5', 'must be an integer from 0 to 2147483647'],
    ['GRPC_KEEPALIVE_PERMIT_WITHOUT_CALLS', 'yes', 'must be one of true, false (got "yes")'],
    ['GRPC_MAX_PING_STRIKES', '1001', 'must be an integer from 0 to 1000'],
    ['GRPC_REQUEST_TIMEOUT_MS', '600001', 'must be an integer from 0 to 600000'],
    ['METRICS_BREAKER_CALL_DURATION', 'on', 'must be one of true, false (got "on")'],
    ['LIST_MAX_PAGE_BYTES', '1023', 'must be an integer from 1024 to 67108864'],
    ['LOG_FORMAT', 'yaml', 'must be one of text, json (got "yaml")'],
    ['LOG_LEVEL', 'trace', 'must be one of fatal, error, warn, log, debug, verbose'],
  ])('rejects %s=%j, naming the variable and why', (variable, value, reason) => {
    const error = errorOf({ [variable]: value });
    expect(error.issues).toEqual([{ variable, reason: expect.stringContaining(reason) }]);
    expect(error.message).toContain(`${variable} ${reason}`);
  });

  it('requires HEALTH_TOKEN with HEALTH_DETAILS=token, without echoing any token', () => {
    expect(errorOf({ HEALTH_DETAILS: 'token' }).issues).toEqual([{ variable: 'HEALTH_TOKEN', reason: 'is required when HEALTH_DETAILS=token' }]);
  });

  it('reads ADMIN_TOKEN (trimmed), and refuses a short one or one with whitespace without echoing it', () => {
    expect(validateEnv({ ADMIN_TOKEN: '  0123456789abcdef  ' }).admin).toEqual({ token: '0123456789abcdef' });
    const short = errorOf({ ADMIN_TOKEN: 'letmein' });
    expect(short.issues).toEqual([{ variable: 'ADMIN_TOKEN', reason: expect.stringContaining('must be at least 16 characters (got 7)') }]);
    expect(short.message).not.toContain('letmein');
    expect(short.message).not.toContain('\n');
    const spaced = errorOf({ ADMIN_TOKEN: 'correct horse battery staple' });
    expect(spaced.issues).toEqual([{ variable: 'ADMIN_TOKEN', reason: 'must not contain whitespace' }]);
    expect(spaced.message).not.toContain('horse');
  });

  it('reports every bad variable at once, in one line', () => {
    const error = errorOf({ GRPC_PORT: 'x', LOG_FORMAT: 'xml' });
    expect(error.issues.map((i) => i.variable)).toEqual(['GRPC_PORT', 'LOG_FORMAT']);
    expect(error.message).not.toContain('\n');
  });

  it('never repeats a database password in the error', () => {
    const error = errorOf({ DATABASE_URL: 'mysql://admin:hunter2@db/x' });
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('mysql://admin:***@db/x');
  });

  it.each([
    [{ GRPC_PORT: '7000', HTTP_PORT: '7000' }, 'HTTP_PORT', 'must differ from GRPC_PORT (both are 7000)'],
    [{ DOWNSTREAM_PORT: '9003' }, 'DOWNSTREAM_PORT', 'must differ from GRPC_PORT (both are 9003)'],
    [{ PGLITE_PORT: '9004' }, 'PGLITE_PORT', 'must differ from HTTP_PORT (both are 9004)'],
  ])('rejects two listeners on one port: %j', (env, variable, reason) => {
    expect(errorOf(env).issues).toEqual([{ variable, reason }]);
  });

  it('allows port clashes that cannot happen: 0, or a listener that is not started', () => {
    expect(() => validateEnv({ GRPC_PORT: '0', HTTP_PORT: '0', DOWNSTREAM_PORT: '0', PGLITE_PORT: '0' })).not.toThrow();
    expect(() => validateEnv({ DOWNSTREAM_URL: 'quotes:9005', DOWNSTREAM_PORT: '9003' })).not.toThrow();
    expect(() => validateEnv({ DATABASE_URL: 'postgres://db/x', PGLITE_PORT: '9003' })).not.toThrow();
  });
});

/** Every variable a validator reads, found by watching it read an empty environment. */
function variablesRead(validate: (env: Env) => unknown): string[] {
  const read = new Set<string>();
  validate(
    new Proxy({}, {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return undefined;
      },
    }),
  );
  return [...read];
}

describe('.env.example', () => {
  const example = readFileSync(join(import.meta.dirname, '../../../../.env.example'), 'utf8');
  /** `#NAME=value` lines: the documented variables with the value shown. */
  const documented = new Map([...example.matchAll(/^#([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [name!, value!]));
  /** Unset by default: the file shows an example value instead. */
  const UNSET_BY_DEFAULT = ['DATABASE_URL', 'PGLITE_DATA_DIR', 'DOWNSTREAM_URL', 'HEALTH_TOKEN', 'ADMIN_TOKEN'];

  it('lists every variable the daemon, the downstream and the CLI read', () => {
    const variables = [...variablesRead(validateEnv), ...variablesRead(validateDownstreamEnv), 'ENGINED_ADDR', 'ENGINED_HTTP'];
    expect(variables.filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented.keys()].filter((name) => !variables.includes(name))).toEqual([]);
  });

  it('shows each default as the daemon applies it', () => {
    const defaults = validateEnv({});
    for (const [name, value] of documented) {
      if (UNSET_BY_DEFAULT.includes(name) || !variablesRead(validateEnv).includes(name)) continue;
      expect([name, validateEnv({ [name]: value })]).toEqual([name, defaults]);
    }
    expect(validateDownstreamEnv({ DOWNSTREAM_HOST: documented.get('DOWNSTREAM_HOST')! })).toEqual(validateDownstreamEnv({}));
    expect(documented.get('ENGINED_ADDR')).toBe('127.0.0.1:9003');
  });
});

import type { LogLevel } from '@nestjs/common';
import type { ResolvedGrpcServerLimits } from '@engined/resilience/grpc';
import type { LogFormat } from '../../../shared/src/logging/create-logger.js';

/** Injection token of the validated {@link AppConfig}. */
export const APP_CONFIG = 'ENGINED:APP_CONFIG';


/** A host and port to listen on. Port 0 asks the OS for a free port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The daemon's settings, validated from the environment (see `.env.example`). */
export interface AppConfig {
  grpc: ListenAddress & {
    /** How long a graceful shutdown waits for in-flight calls before cutting them off. */
    shutdownTimeoutMs: number;
    /** What one client may hold on the gRPC port (GRPC_MAX_CONCURRENT_STREAMS, ...): the library's `GrpcServerLimits`. */
    limits: ResolvedGrpcServerLimits;
  };
  http: ListenAddress;
  database: {
    /** A PostgreSQL URL; `undefined` starts the embedded PGlite. */
    url?: string;
    poolSize: number;
    /** Calls that may wait for a connection while every one is busy; more are refused at once (RESOURCE_EXHAUSTED). */
    maxQueued: number;
    connectTimeoutMs: number;
    queryTimeoutMs: number;
    /**
     * A DATABASE_URL server that does not answer at start: `wait` starts anyway (startup and readiness
     * fail, connecting and migrating are retried with backoff); `fail` stops the start with exit code 1.
     */
    startup: 'wait' | 'fail';
  };
  pglite: {
    /** Data directory; `undefined` keeps the embedded database in memory. */
    dataDir?: string;
    /** Loopback port of the embedded server; 0 picks a free one. */
    port: number;
    /** Where PGlite runs: a worker thread of its own (off the daemon's event loop), or the daemon's main thread. */
    thread: 'worker' | 'main';
  };
  downstream: {
    /** gRPC target of the quote service; `undefined` starts it in-process on `port`. */
    url?: string;
    port: number;
    timeoutMs: number;
    /** A call taking at least this long is slow (the breaker trips on their rate); `undefined`: slow-call detection off. */
    slowCallMs?: number;
  };
  health: {
    /** Time between two checks of the database and of the downstream. */
    checkIntervalMs: number;
    /** A check of the database or of the downstream taking longer than this fails. */
    checkTimeoutMs: number;
    /** No automatic heal this long after start. */
    startupGraceMs: number;
    /** Who sees component details on the HTTP health endpoints. */
    details: 'never' | 'always' | 'token';
    /** Bearer token for `details: 'token'`. */
    token?: string;
  };
  records: {
    /** A ListRecords page ends before its encoded size would pass this (it holds at least one record). */
    listMaxPageBytes: number;
  };
  metrics: {
    /** The breakers' `circuit_breaker_call_duration_seconds` histogram (on the call path, so off by default). */
    breakerCallDuration: boolean;
  };
  admin: {
    /** Bearer token of the admin API (`/resilience/...` on the HTTP port); `undefined`: the API is not mounted. */
    token?: string;
  };
  /** Time between readiness turning off and the servers closing, so load balancers can react. */
  shutdownDrainMs: number;
  log: {
    format: LogFormat;
    level: LogLevel;
  };
}

import type { LogLevel } from '@nestjs/common';
import type { LogFormat } from '../../../shared/src/logging/create-logger.js';
import { DOWNSTREAM_ENV } from '../../../shared/src/config/env.schema.js';
import { type Env, readEnv } from '../../../shared/src/config/env-validators.js';

export interface DownstreamConfig {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  drainDelayMs: number;
  log: { format: LogFormat; level: LogLevel };
}

/**
 * The standalone downstream's settings (`npm run start:downstream`), read through the shared schema.
 *
 * @throws ConfigValidationError naming every bad variable and why.
 */
export function validateDownstreamEnv(env: Env): DownstreamConfig {
  const e = readEnv(env, DOWNSTREAM_ENV);
  return {
    host: e.DOWNSTREAM_HOST,
    port: e.DOWNSTREAM_PORT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: e.SHUTDOWN_DRAIN_MS,
    log: { format: e.LOG_FORMAT, level: e.LOG_LEVEL },
  };
}

import type { LogLevel } from '@nestjs/common';
import type { LogFormat } from '../../../shared/src/logging/create-logger.js';
import { ConfigValidationError } from '../../../shared/src/config/config-validation.error.js';
import { type Env, EnvReader, LOG_FORMATS, LOG_LEVELS } from '../../../shared/src/config/env-reader.js';

export interface DownstreamConfig {
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  drainDelayMs: number;
  log: { format: LogFormat; level: LogLevel };
}

/** The standalone downstream's settings (`npm run start:downstream`). */
export function validateDownstreamEnv(env: Env): DownstreamConfig {
  const r = new EnvReader(env);
  const config: DownstreamConfig = {
    host: r.host('DOWNSTREAM_HOST', '127.0.0.1'),
    port: r.port('DOWNSTREAM_PORT', 9005),
    shutdownTimeoutMs: r.int('SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    drainDelayMs: r.int('SHUTDOWN_DRAIN_MS', 2_000, 0, 600_000),
    log: {
      format: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'text'),
      level: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'log'),
    },
  };
  if (r.issues.length > 0) throw new ConfigValidationError(r.issues);
  return config;
}

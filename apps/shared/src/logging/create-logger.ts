import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** How log lines are written: readable text, or one JSON object per line. */
export type LogFormat = 'text' | 'json';

/** Most to least verbose; a threshold enables itself and every level after it. */
const LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** Nest's console logger: one JSON object per line for `json`, coloured text otherwise. */
export function createLogger(options: { format: LogFormat; level: LogLevel; prefix?: string }): ConsoleLogger {
  return new ConsoleLogger({
    json: options.format === 'json',
    logLevels: LEVELS.slice(LEVELS.indexOf(options.level)),
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
}

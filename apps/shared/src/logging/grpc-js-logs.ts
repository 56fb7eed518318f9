import { format } from 'node:util';
import { setLogger } from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';

/**
 * Sends grpc-js' own log lines (those its GRPC_VERBOSITY lets through: errors by default) to the app's
 * Nest logger, so they follow LOG_FORMAT and LOG_LEVEL instead of being bare `E ...` lines on stderr.
 * grpc-js has one logger per process: the app that owns the process calls this.
 */
export function routeGrpcJsLogs(): void {
  const logger = new Logger('grpc-js');
  setLogger({
    error: (message?: unknown, ...params: unknown[]) => logger.error(format(message, ...params)),
    info: (message?: unknown, ...params: unknown[]) => logger.log(format(message, ...params)),
    debug: (message?: unknown, ...params: unknown[]) => logger.debug(format(message, ...params)),
  });
}

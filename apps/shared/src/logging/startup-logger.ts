import type { ConsoleLogger, LoggerService, LogLevel } from '@nestjs/common';

/**
 * An app's logger while it starts: error and fatal lines are written as warnings (to stdout), so a
 * start-up that fails leaves exactly one line on stderr, the one `main.ts` prints naming the cause (Nest
 * and grpc-js would each log the same failure first). The details stay in the log. {@link started}
 * restores errors to stderr.
 */
export class StartupLogger implements LoggerService {
  #starting = true;

  constructor(private readonly inner: ConsoleLogger) {}

  /** The app is up: errors are errors again. */
  started(): void {
    this.#starting = false;
  }

  log(message: unknown, ...params: unknown[]): void {
    this.inner.log(message, ...params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.inner.warn(message, ...params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.inner.debug(message, ...params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.inner.verbose(message, ...params);
  }

  error(message: unknown, ...params: unknown[]): void {
    if (this.#starting) this.inner.warn(message, ...withoutStackPlaceholder(params));
    else this.inner.error(message, ...params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    if (this.#starting) this.inner.warn(message, ...withoutStackPlaceholder(params));
    else this.inner.fatal(message, ...params);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.inner.setLogLevels(levels);
  }
}

/**
 * Nest's `Logger` passes `error(message, stack, context)` with `undefined` for a missing stack; `warn` would
 * print that `undefined` as a message of its own.
 */
function withoutStackPlaceholder(params: unknown[]): unknown[] {
  return params.filter((param) => param !== undefined);
}

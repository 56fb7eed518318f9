import type { LoggerService, LogLevel } from '@nestjs/common';

/** One line a Nest `Logger` wrote. */
export interface LogLine {
  level: LogLevel;
  message: string;
  context?: string;
}

/**
 * A Nest logger for tests: keeps every line instead of printing it, so suites stay quiet, and makes
 * error lines part of what a test asserts. A test that triggers an error log on purpose takes it with
 * `takeErrors()`; `assertNoUnexpectedErrors()` (run when the harness closes) fails the test on any
 * error line left, so silencing the output never hides a real failure.
 */
export class RecordingLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  private taken = 0;

  log(message: unknown, ...params: unknown[]): void {
    this.push('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.push('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.push('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.push('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.push('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.push('fatal', message, params);
  }

  /** Messages of one level, oldest first. */
  messages(level: LogLevel): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  /** The error and fatal lines not taken yet, as `[context] message`; they count as expected from now on. */
  takeErrors(): string[] {
    const errors = this.errors();
    const fresh = errors.slice(this.taken);
    this.taken = errors.length;
    return fresh;
  }

  /** Throws if an error or fatal line was written that no test took. */
  assertNoUnexpectedErrors(): void {
    const left = this.errors().slice(this.taken);
    if (left.length > 0) throw new Error(`Unexpected error logs:\n${left.join('\n')}`);
  }

  private errors(): string[] {
    return this.lines
      .filter((line) => line.level === 'error' || line.level === 'fatal')
      .map((line) => `[${line.context ?? ''}] ${line.message}`);
  }

  private push(level: LogLevel, message: unknown, params: unknown[]): void {
    // Nest's Logger appends the context as the last parameter.
    const last = params.at(-1);
    this.lines.push({
      level,
      message: message instanceof Error ? (message.stack ?? message.message) : String(message),
      context: typeof last === 'string' ? last : undefined,
    });
  }
}

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from './create-logger.js';
import { StartupLogger } from './startup-logger.js';

/** What is written to each stream until the spies are restored. */
function captured(): { stdout: string[]; stderr: string[] } {
  const streams = { stdout: [] as string[], stderr: [] as string[] };
  for (const name of ['stdout', 'stderr'] as const) {
    jest.spyOn(process[name], 'write').mockImplementation((chunk: string | Uint8Array) => {
      streams[name].push(String(chunk));
      return true;
    });
  }
  return streams;
}

describe('StartupLogger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes errors as warnings to stdout while the app starts, and as errors to stderr once started', () => {
    const streams = captured();
    const logger = new StartupLogger(createLogger({ format: 'json', level: 'log' }));
    logger.error('listen EADDRINUSE', undefined, 'NestApplication'); // as Nest's Logger passes it, without a stack
    logger.fatal('also held', 'Somewhere');
    logger.log('still logged', 'Database');
    expect(streams.stderr).toEqual([]);
    expect(streams.stdout).toHaveLength(3);
    expect(streams.stdout.map((line) => JSON.parse(line) as { level: string; message: string })).toMatchObject([
      { level: 'warn', message: 'listen EADDRINUSE', context: 'NestApplication' },
      { level: 'warn', message: 'also held' },
      { level: 'log', message: 'still logged' },
    ]);

    logger.started();
    logger.error('a real error', 'GrpcErrorFilter');
    expect(streams.stderr.map((line) => JSON.parse(line) as { level: string })).toMatchObject([{ level: 'error' }]);
  });
});

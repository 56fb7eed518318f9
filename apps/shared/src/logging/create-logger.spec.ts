import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from './create-logger.js';

/** Everything written to stdout and stderr until the spies are restored. */
function captured(): string[] {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array): boolean => {
    lines.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(keep);
  jest.spyOn(process.stderr, 'write').mockImplementation(keep);
  return lines;
}

describe('createLogger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('writes one JSON object per line for LOG_FORMAT=json', () => {
    const lines = captured();
    createLogger({ format: 'json', level: 'log' }).log('database ready', 'Database');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'log', context: 'Database', message: 'database ready' });
  });

  it('drops levels below LOG_LEVEL', () => {
    const lines = captured();
    const logger = createLogger({ format: 'json', level: 'warn' });
    logger.log('hidden');
    logger.debug?.('hidden');
    logger.warn('shown');
    logger.error('shown too');
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['warn', 'error']);
  });
});

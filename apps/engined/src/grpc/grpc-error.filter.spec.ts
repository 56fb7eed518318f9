import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { type ArgumentsHost, Logger } from '@nestjs/common';
import { status } from '@grpc/grpc-js';
import { firstValueFrom, type Observable } from 'rxjs';
import { FakeClock } from '@engined/resilience/testing';
import { DatabaseUnavailableError } from '../database/database-unavailable.error.js';
import { GrpcErrorFilter } from './grpc-error.filter.js';

const rpcHost = { getType: () => 'rpc' } as ArgumentsHost;

/** The status the filter answers with. */
async function answer(filter: GrpcErrorFilter, exception: unknown): Promise<unknown> {
  const result = filter.catch(exception, rpcHost) as Observable<never>;
  return firstValueFrom(result).catch((body: unknown) => body);
}

describe('GrpcErrorFilter', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers UNAVAILABLE for a lost database and INTERNAL (logged) for anything unexpected', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const filter = new GrpcErrorFilter(undefined, new FakeClock());
    await expect(answer(filter, new DatabaseUnavailableError('connect ECONNREFUSED'))).resolves.toMatchObject({ code: status.UNAVAILABLE });
    await expect(answer(filter, new Error('bug'))).resolves.toEqual({ code: status.INTERNAL, message: 'internal error' });
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('logs a database outage once per interval, not once per failed call, and says how many it held back', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const clock = new FakeClock();
    const filter = new GrpcErrorFilter(undefined, clock, 10_000);
    for (let i = 0; i < 200; i++) await answer(filter, new DatabaseUnavailableError('connect ECONNREFUSED 127.0.0.1:5432'));
    expect(warnings.mock.calls.map(([message]) => message)).toEqual(['database unavailable: connect ECONNREFUSED 127.0.0.1:5432']);

    clock.advance(9_999);
    await answer(filter, new DatabaseUnavailableError('Connection terminated'));
    expect(warnings).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await answer(filter, new DatabaseUnavailableError('Connection terminated'));
    expect(warnings.mock.calls.map(([message]) => message)).toEqual([
      'database unavailable: connect ECONNREFUSED 127.0.0.1:5432',
      'database unavailable: Connection terminated (200 more like it since the previous warning, 10 s ago)',
    ]);
    // A later outage reports only its own calls held back.
    clock.advance(3_600_000);
    for (let i = 0; i < 3; i++) await answer(filter, new DatabaseUnavailableError('connect ECONNREFUSED'));
    clock.advance(10_000);
    await answer(filter, new DatabaseUnavailableError('connect ECONNREFUSED'));
    expect(warnings.mock.calls.slice(2).map(([message]) => message)).toEqual([
      'database unavailable: connect ECONNREFUSED',
      'database unavailable: connect ECONNREFUSED (2 more like it since the previous warning, 10 s ago)',
    ]);
  });
});

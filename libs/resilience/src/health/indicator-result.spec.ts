import { describe, expect, it } from '@jest/globals';
import { HealthStatus } from './health-status.js';
import { readHealthCheckError, readIndicatorResult } from './indicator-result.js';

describe('readIndicatorResult', () => {
  it('reads an indicator keyed "status" as an indicator, not as a status field', () => {
    expect(readIndicatorResult({ status: { status: 'down', message: 'x' } })).toEqual({
      status: HealthStatus.UNHEALTHY,
      message: 'status: x',
      details: { status: { status: 'down', message: 'x' } },
    });
  });

  it('joins the messages of every entry that is not up, and ignores the messages of entries that are', () => {
    const reading = readIndicatorResult({
      a: { status: 'up', message: 'fine' },
      b: { status: 'degraded', message: 'slow' },
      c: { status: 'down', message: 'gone' },
    });
    expect(reading).toMatchObject({ status: HealthStatus.UNHEALTHY, message: 'b: slow; c: gone' });
  });

  it('is undefined for anything that is not a non-empty map of Terminus statuses', () => {
    for (const value of [{}, [], null, 'up', { a: 'up' }, { a: { status: 'UP' } }, { a: { status: 'up' }, b: null }]) {
      expect(readIndicatorResult(value)).toBeUndefined();
    }
  });
});

describe('readHealthCheckError', () => {
  it('needs the isHealthCheckError brand; causes that are no indicator result are still kept as details', () => {
    expect(readHealthCheckError(Object.assign(new Error('x'), { causes: { a: { status: 'down' } } }))).toBeUndefined();
    expect(readHealthCheckError({ isHealthCheckError: true, message: '', causes: { raw: 1 } })).toEqual({
      status: HealthStatus.UNHEALTHY,
      message: undefined,
      details: { raw: 1 },
    });
  });
});

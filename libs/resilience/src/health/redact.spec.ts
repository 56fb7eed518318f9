import { describe, expect, it } from '@jest/globals';
import { redactDetails, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    ['connect ECONNREFUSED postgres://app:s3cret@db:5432/orders', 'connect ECONNREFUSED postgres://app:***@db:5432/orders'],
    ['redis://:hunter2@cache:6379/0 unreachable', 'redis://:***@cache:6379/0 unreachable'],
    ['amqps://guest:guest@mq/vhost', 'amqps://guest:***@mq/vhost'],
    ['401 for Authorization: Bearer eyJhbGciOi.J9.abc-_', '401 for Authorization: Bearer ***'],
    ['host=db user=app password=hunter2 dbname=x', 'host=db user=app password=*** dbname=x'],
    ['GET /v1?api_key=AKIA123&x=1', 'GET /v1?api_key=***&x=1'],
    ['{"token": "abc123", "ok": true}', '{"token": "***", "ok": true}'],
    ['https://example.com/health took 12 ms', 'https://example.com/health took 12 ms'],
    ['author: Ada, tokens: 5', 'author: Ada, tokens: 5'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe('redactDetails', () => {
  it('redacts strings and secret-named keys at any depth', () => {
    expect(
      redactDetails({ dsn: 'mysql://root:pw@h/db', nested: { password: 'x', apiKey: 'y', list: ['Bearer abc'] }, n: 1 }),
    ).toEqual({ dsn: 'mysql://root:***@h/db', nested: { password: '***', apiKey: '***', list: ['Bearer ***'] }, n: 1 });
  });
});

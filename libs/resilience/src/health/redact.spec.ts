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
    ['invalid_grant: client_secret=abc123&refresh_token=xyz', 'invalid_grant: client_secret=***&refresh_token=***'],
    ['401 X-Auth-Token: deadbeef', '401 X-Auth-Token: ***'],
    ['clientSecret=s3cret secretAccessKey=wJalr AWS_SECRET_KEY=k', 'clientSecret=*** secretAccessKey=*** AWS_SECRET_KEY=***'],
    ['{"private_key": "-----BEGIN PRIVATE KEY----- MIIE", "pwd":"a b"}', '{"private_key": "***", "pwd":"***"}'],
    ['maxTokens: 5, passwordHash: bcrypt, tokenCount=3', 'maxTokens: 5, passwordHash: bcrypt, tokenCount=3'],
  ])('%s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe('redactSecrets on hostile input', () => {
  // Each of these took seconds at 100 kB with a backtracking pattern (quadratic); linear, they take
  // milliseconds at 300 kB, far inside the test timeout that catches a regression.
  it.each([
    ['hyphenated words', 'a-'.repeat(150_000)],
    ['chained pairs', 'a='.repeat(150_000)],
    ['scheme-like runs', 'a://'.repeat(75_000)],
    ['colon runs', 'a:b'.repeat(100_000)],
  ])('stays linear on %s', (_label, input) => {
    expect(redactSecrets(input)).toBe(input);
  });
});

describe('redactDetails', () => {
  it('redacts strings and secret-named keys at any depth', () => {
    expect(
      redactDetails({ dsn: 'mysql://root:pw@h/db', nested: { password: 'x', apiKey: 'y', list: ['Bearer abc'] }, n: 1 }),
    ).toEqual({ dsn: 'mysql://root:***@h/db', nested: { password: '***', apiKey: '***', list: ['Bearer ***'] }, n: 1 });
  });

  it('masks keys that end in a secret word, in any case style, and keeps look-alikes', () => {
    expect(
      redactDetails({ clientSecret: 'a', refresh_token: 'b', 'X-Api-Key': 'c', privateKey: 'd', maxTokens: 5, tokenCount: 2, passwordHash: 'h' }),
    ).toEqual({ clientSecret: '***', refresh_token: '***', 'X-Api-Key': '***', privateKey: '***', maxTokens: 5, tokenCount: 2, passwordHash: 'h' });
  });
});

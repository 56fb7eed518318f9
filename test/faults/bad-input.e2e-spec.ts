import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { isConfigValidationError } from '../../apps/shared/src/config/config-validation.error.js';
import { type Env, validateEnv } from '../../apps/engined/src/config/env.validation.js';
import { MAX_REQUEST_BYTES } from '../../apps/engined/src/grpc/grpc-server.options.js';
import { encodePageToken } from '../../apps/engined/src/records/page-token.js';
import { FakeClock, startEnginedApp } from '../app/support/engined-test-app.js';
import { RecordsClient } from '../app/support/records-client.js';
import { int, len, message, tag } from './support/wire.js';

/*
 * Bad input, table-driven. What is covered elsewhere, and not repeated here:
 * - test/app/records.e2e-spec.ts: bad field values through a generated client (no name, a NUL, bad JSON, ...),
 *   a tag varint that never ends, a request over the 256 KiB limit on CreateRecord;
 * - apps/engined/src/records/records.validation.spec.ts: every validation rule, unit level;
 * - apps/engined/src/config/env.validation.spec.ts: a table of bad values for every variable, port clashes,
 *   password redaction; test/app/startup.e2e-spec.ts: createApp refuses a bad environment before starting anything;
 * - test/scenarios/bad-input.e2e-spec.ts: invalid decorator and module options.
 * This file sends hand-made wire bytes over real gRPC, and adds the environment values those tables miss.
 */

const ID = '5b0d3c3e-8f5e-4a59-9c0e-0a4f3d0b6c11';
/** Why the bytes did not decode comes from protobufjs, in parentheses. */
const NOT_DECODED = expect.stringMatching(/^request: could not be decoded \(.+\)$/);

type Method = 'CreateRecord' | 'GetRecord' | 'ListRecords' | 'DeleteRecord' | 'EnrichRecord';

interface BadMessage {
  method: Method;
  case: string;
  bytes: Buffer;
  code: status;
  /** The status details: a string, or an asymmetric matcher. */
  details: unknown;
}

const invalid = (method: Method, what: string, bytes: Buffer, details: unknown): BadMessage => ({
  method,
  case: what,
  bytes,
  code: status.INVALID_ARGUMENT,
  details,
});

const table: BadMessage[] = [
  // --- bytes that are not a message: the field cannot be named, the request is
  invalid('CreateRecord', 'an unknown field of wire type 7, which does not exist', message(tag(15, 7), [1]), 'request: could not be decoded (unknown field 15: wire type 7 (invalid) is not accepted)'),
  invalid('CreateRecord', 'an end-group tag with no group open', message(tag(9, 4)), 'request: could not be decoded (unknown field 9: wire type 4 (EGROUP) is not accepted)'),
  invalid('GetRecord', 'a group that never ends', message(tag(9, 3)), NOT_DECODED),
  invalid('ListRecords', 'a varint of 11 bytes', message([0x08], Array<number>(10).fill(0xff), [0x01]), NOT_DECODED),
  invalid('DeleteRecord', 'an unknown 64-bit field cut short', message(tag(9, 1), [1, 2, 3]), NOT_DECODED),
  invalid('EnrichRecord', 'an unknown 32-bit field cut short', message(tag(9, 5), [1]), NOT_DECODED),

  // --- wrong wire types for known fields
  invalid('ListRecords', 'page_size sent as a string (LEN instead of VARINT)', message(len(1, '10')), NOT_DECODED),
  invalid('ListRecords', 'page_size sent as a 32-bit field', message(tag(1, 5), [1, 0, 0, 0]), NOT_DECODED),
  invalid('GetRecord', 'id sent as a varint', message(int(1, 42)), 'request: could not be decoded (field id (1): sent as VARINT, expected LEN)'),
  invalid('CreateRecord', 'name sent as a varint', message(int(1, 5)), 'request: could not be decoded (field name (1): sent as VARINT, expected LEN)'),

  // --- what protobufjs alone would decode leniently (cut the length, ignore the wire type, skip field 0,
  //     replace invalid UTF-8): the daemon checks the wire format first and names the field
  invalid('CreateRecord', 'a name whose length runs past the end', message([0x0a, 0x10], [...Buffer.from('ab')]), 'request: could not be decoded (field name (1): length 16 runs past the end of the message)'),
  invalid('CreateRecord', 'a name sent as a 64-bit field', message(tag(1, 1), [...Buffer.from('abcdefgh')]), 'request: could not be decoded (field name (1): sent as I64, expected LEN)'),
  invalid('CreateRecord', 'field number 0', message(int(0, 1), len(1, 'zero')), 'request: could not be decoded (field number 0 is not allowed)'),
  invalid('CreateRecord', 'a name that is not valid UTF-8', message(len(1, Uint8Array.from([0xff, 0xfe, 0x41]))), 'request: could not be decoded (field name (1): not valid UTF-8)'),
  invalid('ListRecords', 'page_token sent as a varint', message(int(2, 5)), 'request: could not be decoded (field page_token (2): sent as VARINT, expected LEN)'),

  // --- missing required fields (proto3 sends none: the field is absent or empty)
  invalid('CreateRecord', 'an empty message', message(), 'name: is required'),
  invalid('CreateRecord', 'a payload and no name', message(len(2, '{"a":1}')), 'name: is required'),
  invalid('CreateRecord', 'only fields the schema does not have', message(len(7, 'name'), int(8, 1)), 'name: is required'),
  invalid('GetRecord', 'an empty message', message(), 'id: is required'),
  invalid('DeleteRecord', 'an empty message', message(), 'id: is required'),
  invalid('EnrichRecord', 'an empty message', message(), 'id: is required'),

  // --- out-of-range page sizes (int32 on the wire)
  invalid('ListRecords', 'page_size -1', message(int(1, -1)), 'page_size: must not be negative'),
  invalid('ListRecords', 'page_size -2^31', message(int(1, -(2 ** 31))), 'page_size: must not be negative'),
  invalid('ListRecords', 'page_size 2^31, which int32 reads as -2^31', message(int(1, 2 ** 31)), 'page_size: must not be negative'),

  // --- page tokens ListRecords never made
  ...[
    ['a token for seq 0', encodePageToken('0')],
    ['a token of another version', Buffer.from('v2:5').toString('base64url')],
    ['a seq with a leading zero', Buffer.from('v1:05').toString('base64url')],
    ['a negative seq', Buffer.from('v1:-5').toString('base64url')],
    ['standard base64 with padding', Buffer.from('v1:5').toString('base64')],
    ['base64 with + and /', '+/+/'],
    ['65 characters', 'A'.repeat(65)],
    ['non-ASCII text', 'ページ'],
  ].map(([what, token]) => invalid('ListRecords', `page_token: ${what}`, message(len(2, token!)), 'page_token: is not a token returned by ListRecords')),

  // --- oversized strings: under the request limit the field is named; over it, grpc-js refuses the message
  invalid('CreateRecord', 'a 10,000-character name', message(len(1, 'n'.repeat(10_000))), 'name: must be at most 200 characters'),
  invalid('CreateRecord', 'a name of 201 emoji (804 bytes)', message(len(1, '🙂'.repeat(201))), 'name: must be at most 200 characters'),
  invalid('CreateRecord', 'a 200 kB payload', message(len(1, 'big'), len(2, JSON.stringify({ a: 'x'.repeat(200_000) }))), 'payload: must be at most 65536 bytes'),
  invalid('GetRecord', 'a 100,000-character id', message(len(1, 'f'.repeat(100_000))), 'id: must be a UUID'),
  invalid('ListRecords', 'a 100,000-character page_token', message(len(2, 'A'.repeat(100_000))), 'page_token: is not a token returned by ListRecords'),
  {
    method: 'GetRecord',
    case: 'an id bigger than the request limit',
    bytes: message(len(1, 'f'.repeat(MAX_REQUEST_BYTES))),
    code: status.RESOURCE_EXHAUSTED,
    details: expect.stringMatching(/larger than max/),
  },
];

describe('bad input over real gRPC: hand-made wire bytes', () => {
  let daemon: EnginedApp;
  let raw: Client;
  let client: RecordsClient;

  beforeAll(async () => {
    // The clock keeps health checks and heals still: only requests happen.
    daemon = await startEnginedApp({}, new FakeClock());
    raw = new Client(daemon.grpcTarget, credentials.createInsecure());
    client = new RecordsClient(daemon.grpcTarget);
  });

  afterAll(async () => {
    raw?.close();
    client?.close();
    await daemon?.close();
  });

  /** Sends `bytes` as the request, exactly as given; resolves with the error, or null for OK. */
  function send(method: Method, bytes: Buffer): Promise<ServiceError | null> {
    return new Promise((resolve) => {
      raw.makeUnaryRequest(
        `/engined.v1.RecordService/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error) => resolve(error),
      );
    });
  }

  it.each(table.map((row) => [`${row.method} with ${row.case} → ${status[row.code]}`, row] as const))('%s', async (_name, row) => {
    const error = await send(row.method, row.bytes);
    expect(error === null ? 'OK' : [status[error.code], error.details]).toEqual([status[row.code], row.details]);
  });

  it('keeps serving after all of it, on the same connection and on a fresh one', async () => {
    // Everything at once as well, in case one bad request could disturb another in flight.
    await Promise.all(table.map((row) => send(row.method, row.bytes)));
    const created = await client.ok<{ id: string }>('CreateRecord', { name: 'after the bad input', payload: '{"ok":true}' });
    await expect(client.ok('GetRecord', { id: created.id })).resolves.toMatchObject({ name: 'after the bad input' });
    // The largest page size int32 allows is capped, not refused.
    const page = await client.ok<{ records: unknown[] }>('ListRecords', { pageSize: 2 ** 31 - 1 });
    expect(page.records.length).toBeGreaterThan(0);
    expect(await send('GetRecord', message(len(1, ID)))).toMatchObject({ code: status.NOT_FOUND });
  });
});

/** An environment value and the reason the daemon gives for refusing it. */
type BadEnv = [variable: string, value: string, reason: string];

/** Values the table in apps/engined/src/config/env.validation.spec.ts does not try. */
const badEnv: BadEnv[] = [
  ['GRPC_PORT', '+9003', 'must be an integer from 0 to 65535 (got "+9003")'],
  ['GRPC_PORT', '9003abc', 'must be an integer from 0 to 65535 (got "9003abc")'],
  ['HTTP_PORT', '0x2334', 'must be an integer from 0 to 65535 (got "0x2334")'],
  ['HTTP_PORT', '９００４', 'must be an integer from 0 to 65535 (got "９００４")'],
  ['PGLITE_PORT', '5432.0', 'must be an integer from 0 to 65535 (got "5432.0")'],
  ['GRPC_HOST', 'localhost:9003', 'must be an IP address or a host name (got "localhost:9003")'],
  ['HTTP_HOST', '[::1]', 'must be an IP address or a host name (got "[::1]")'],
  ['HTTP_HOST', 'a'.repeat(64), 'must be an IP address or a host name'],
  ['DATABASE_URL', 'postgres:///engined', 'must name a host'],
  ['DATABASE_URL', 'http://db:5432/engined', 'must use the postgres:// or postgresql:// scheme (got "http://db:5432/engined")'],
  ['DATABASE_POOL_SIZE', '101', 'must be an integer from 1 to 100 (got "101")'],
  ['DATABASE_CONNECT_TIMEOUT_MS', '120001', 'must be an integer from 1 to 120000 (got "120001")'],
  ['DATABASE_QUERY_TIMEOUT_MS', '9007199254740993', 'must be an integer from 1 to 600000 (got "9007199254740993")'],
  ['DOWNSTREAM_URL', '127.0.0.1:70000', 'must be host:port or a gRPC target URI such as dns:///quotes:9005 (got "127.0.0.1:70000")'],
  ['DOWNSTREAM_URL', '[::1]:0', 'must be host:port or a gRPC target URI'],
  ['DOWNSTREAM_URL', 'quotes:9005/v1', 'must be host:port or a gRPC target URI'],
  ['DOWNSTREAM_URL', 'dns:', 'must be host:port or a gRPC target URI'],
  ['DOWNSTREAM_TIMEOUT_MS', '1_000', 'must be an integer from 1 to 120000 (got "1_000")'],
  ['HEALTH_CHECK_INTERVAL_MS', '99', 'must be an integer from 100 to 3600000 (got "99")'],
  ['HEALTH_CHECK_TIMEOUT_MS', '2s', 'must be an integer from 1 to 600000 (got "2s")'],
  ['HEALTH_STARTUP_GRACE_MS', '3600001', 'must be an integer from 0 to 3600000 (got "3600001")'],
  ['HEALTH_DETAILS', 'ALWAYS', 'must be one of never, always, token (got "ALWAYS")'],
  ['SHUTDOWN_DRAIN_MS', '600001', 'must be an integer from 0 to 600000 (got "600001")'],
  ['LOG_FORMAT', 'JSON', 'must be one of text, json (got "JSON")'],
  ['LOG_LEVEL', 'LOG', 'must be one of fatal, error, warn, log, debug, verbose (got "LOG")'],
];

function rejection(env: Env): { issues: readonly { variable: string; reason: string }[]; message: string } {
  try {
    validateEnv(env);
  } catch (error) {
    if (isConfigValidationError(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('bad input: invalid environment values are refused, naming the variable and why', () => {
  it.each(badEnv)('%s=%j → "%s"', (variable, value, reason) => {
    const error = rejection({ [variable]: value });
    expect(error.issues).toEqual([{ variable, reason: expect.stringContaining(reason) }]);
    expect(error.message).toContain(`Invalid environment: ${variable} ${reason}`);
  });

  it('treats a blank HEALTH_TOKEN as missing when HEALTH_DETAILS=token', () => {
    expect(rejection({ HEALTH_DETAILS: 'token', HEALTH_TOKEN: '   ' }).issues).toEqual([
      { variable: 'HEALTH_TOKEN', reason: 'is required when HEALTH_DETAILS=token' },
    ]);
  });

  it.each([
    ['no host', 'postgres://app:hunter2@/engined'],
    ['a port out of range', 'postgres://app:hunter2@db:99999/engined'],
    ['the wrong scheme', 'mysql://app:hunter2@db/engined'],
  ])('never repeats the password of a DATABASE_URL with %s', (_what, url) => {
    const error = rejection({ DATABASE_URL: url });
    expect(error.issues.map((i) => i.variable)).toEqual(['DATABASE_URL']);
    expect(error.message).not.toContain('hunter2');
  });
});

import { describe, expect, it } from '@jest/globals';
import { GrpcInvalidArgumentException } from '@nestjs/microservices';
import { MalformedRequest } from '@engined/resilience/grpc';
import { decodePageToken, encodePageToken } from './page-token.js';
import { parseCreateRecord, parseListRecords, parseRecordId } from './records.validation.js';

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof GrpcInvalidArgumentException) return error.message;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const ID = '5b0d3c3e-8f5e-4a59-9c0e-0a4f3d0b6c11';

describe('parseCreateRecord', () => {
  it('accepts a name and a JSON object payload; an empty payload is {}', () => {
    expect(parseCreateRecord({ name: 'a', payload: '{"x":[1,2]}' })).toEqual({ name: 'a', payload: { x: [1, 2] }, requestId: undefined });
    expect(parseCreateRecord({ name: 'a', payload: '' })).toEqual({ name: 'a', payload: {}, requestId: undefined });
    expect(parseCreateRecord({ name: 'é'.repeat(200) }).name).toHaveLength(200);
    // Characters are code points: 200 emoji (400 UTF-16 units) fit, 201 do not.
    expect(parseCreateRecord({ name: '😀'.repeat(200) }).name).toHaveLength(400);
    expect(rejection(() => parseCreateRecord({ name: '😀'.repeat(201) }))).toBe('name: must be at most 200 characters');
  });

  it('takes an optional request_id: empty is none, a UUID or up to 128 characters of A-Z a-z 0-9 . _ : - as given', () => {
    expect(parseCreateRecord({ name: 'a', requestId: '' }).requestId).toBeUndefined();
    expect(parseCreateRecord({ name: 'a', requestId: ID }).requestId).toBe(ID);
    expect(parseCreateRecord({ name: 'a', requestId: 'Order-17:retry_1.x' }).requestId).toBe('Order-17:retry_1.x');
    expect(parseCreateRecord({ name: 'a', requestId: 'x'.repeat(128) }).requestId).toHaveLength(128);
  });

  it.each([
    [{ payload: '{}' }, 'name: is required'],
    [{ name: '', payload: '{}' }, 'name: is required'],
    [{ name: '   ' }, 'name: is required'],
    [{ name: 42 }, 'name: is required'],
    [{ name: 'x'.repeat(201) }, 'name: must be at most 200 characters'],
    [{ name: 'a\u0000b' }, 'name: must not contain control characters'],
    [{ name: 'line\nbreak' }, 'name: must not contain control characters'],
    [{ name: 'bad \ud800 surrogate' }, 'name: must be valid Unicode'],
    [{ name: 'a', payload: 'not json' }, 'payload: must be valid JSON'],
    [{ name: 'a', payload: '[1,2]' }, 'payload: must be a JSON object'],
    [{ name: 'a', payload: 'null' }, 'payload: must be a JSON object'],
    [{ name: 'a', payload: '"text"' }, 'payload: must be a JSON object'],
    [{ name: 'a', payload: 7 }, 'payload: must be a string holding a JSON object'],
    [{ name: 'a', payload: JSON.stringify({ big: 'x'.repeat(65_536) }) }, 'payload: must be at most 65536 bytes'],
    [{ name: 'a', payload: '{"a":"nul \\u0000 inside"}' }, 'payload: must not contain \\u0000'],
    [{ name: 'a', payload: '{"\\u0000key":1}' }, 'payload: must not contain \\u0000'],
    [{ name: 'a', payload: '{"a":"\\ud800"}' }, 'payload: must be valid Unicode'],
    [{ name: 'a', payload: `{"a":${'['.repeat(40)}${']'.repeat(40)}}` }, 'payload: must not nest deeper than 32 levels'],
    [{ name: 'a', requestId: 'x'.repeat(129) }, 'request_id: must be at most 128 characters'],
    [{ name: 'a', requestId: 'has space' }, "request_id: may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'"],
    [{ name: 'a', requestId: 'é' }, "request_id: may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'"],
    [{ name: 'a', requestId: 'a\nb' }, "request_id: may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'"],
    [{ name: 'a', requestId: 7 }, 'request_id: must be a string'],
    [null, 'request: must be a message'],
    [new MalformedRequest('index out of range: 9 + 10 > 9'), 'request: could not be decoded (index out of range: 9 + 10 > 9)'],
  ])('rejects %j with INVALID_ARGUMENT "%s"', (request, message) => {
    expect(rejection(() => parseCreateRecord(request))).toBe(message);
  });
});

describe('parseRecordId', () => {
  it('accepts a UUID in any case and returns it lower-cased', () => {
    expect(parseRecordId({ id: ID.toUpperCase() })).toBe(ID);
  });

  it.each([
    [{}, 'id: is required'],
    [{ id: '' }, 'id: is required'],
    [{ id: 12 }, 'id: is required'],
    [{ id: 'nope' }, 'id: must be a UUID'],
    [{ id: `${ID}0` }, 'id: must be a UUID'],
    [{ id: "' OR 1=1 --" }, 'id: must be a UUID'],
  ])('rejects %j with "%s"', (request, message) => {
    expect(rejection(() => parseRecordId(request))).toBe(message);
  });
});

describe('parseListRecords', () => {
  it('defaults the page size to 50, caps it at 1000, and starts at the beginning', () => {
    expect(parseListRecords({ pageSize: 0, pageToken: '' })).toEqual({ pageSize: 50, afterSeq: undefined });
    expect(parseListRecords({})).toEqual({ pageSize: 50, afterSeq: undefined });
    expect(parseListRecords({ pageSize: 5_000 })).toEqual({ pageSize: 1_000, afterSeq: undefined });
    expect(parseListRecords({ pageSize: 3, pageToken: encodePageToken('42') })).toEqual({ pageSize: 3, afterSeq: '42' });
  });

  it.each([
    [{ pageSize: -1 }, 'page_size: must not be negative'],
    [{ pageSize: 1.5 }, 'page_size: must be an integer'],
    [{ pageSize: '10' }, 'page_size: must be an integer'],
    [{ pageToken: 'garbage!' }, 'page_token: is not a token returned by ListRecords'],
    [{ pageToken: Buffer.from('v1:abc').toString('base64url') }, 'page_token: is not a token returned by ListRecords'],
    [{ pageToken: Buffer.from('v1:99999999999999999999').toString('base64url') }, 'page_token: is not a token returned by ListRecords'],
    [{ pageToken: 'x'.repeat(500) }, 'page_token: is not a token returned by ListRecords'],
    [{ pageToken: 5 }, 'page_token: must be a string'],
  ])('rejects %j with "%s"', (request, message) => {
    expect(rejection(() => parseListRecords(request))).toBe(message);
  });
});

describe('page tokens', () => {
  it('round-trip a bigint sequence number and refuse anything else', () => {
    expect(decodePageToken(encodePageToken('9223372036854775807'))).toBe('9223372036854775807');
    expect(decodePageToken(encodePageToken('0'))).toBeUndefined();
    expect(decodePageToken(encodePageToken('9223372036854775808'))).toBeUndefined();
    expect(decodePageToken('')).toBeUndefined();
  });
});

import { describe, expect, it } from '@jest/globals';
import { fromJSON } from '@grpc/proto-loader';
import { MalformedRequest } from './malformed-request.js';
import { tolerateMalformedRequests } from './wire-check.js';

// package t; message Inner { string text = 1; }
// message Request { repeated int32 nums = 1; Inner inner = 2; string name = 3; double ratio = 4; fixed32 mask = 5; }
// service S { rpc M(Request) returns (Request); }
const definition = fromJSON(
  {
    nested: {
      t: {
        nested: {
          Inner: { fields: { text: { type: 'string', id: 1 } } },
          Request: {
            fields: {
              nums: { rule: 'repeated', type: 'int32', id: 1 },
              inner: { type: 'Inner', id: 2 },
              name: { type: 'string', id: 3 },
              ratio: { type: 'double', id: 4 },
              mask: { type: 'fixed32', id: 5 },
            },
          },
          S: { methods: { M: { requestType: 'Request', responseType: 'Request', comment: '' } } },
        },
      },
    },
  },
  { keepCase: false, defaults: true },
) as unknown as Record<string, unknown>;
tolerateMalformedRequests(definition);
const decode = (definition['t.S'] as { M: { requestDeserialize(bytes: Buffer): unknown } }).M.requestDeserialize;

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  return [...out, n];
};
const tag = (field: number, wireType: number): number[] => varint(field * 8 + wireType);
const len = (field: number, bytes: number[] | string): number[] => {
  const body = typeof bytes === 'string' ? [...Buffer.from(bytes)] : bytes;
  return [...tag(field, 2), ...varint(body.length), ...body];
};
const bytes = (...parts: number[][]): Buffer => Buffer.from(parts.flat());

function reasonOf(result: unknown): string | undefined {
  return result instanceof MalformedRequest ? result.reason : undefined;
}

describe('tolerateMalformedRequests: the strict wire check before protobufjs decodes', () => {
  it('lets a well-formed request through: packed and unpacked repeated fields, nested messages, fixed-width fields, unknown fields', () => {
    const request = bytes(
      len(1, [1, 2, 3]), // packed
      tag(1, 0), [4], // unpacked
      len(2, len(1, 'inside')),
      len(3, 'héllo'),
      tag(4, 1), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f], // 1.0
      tag(5, 5), [1, 0, 0, 0],
      tag(99, 0), varint(2 ** 40), tag(98, 1), [1, 2, 3, 4, 5, 6, 7, 8], len(97, 'x'), tag(96, 5), [1, 2, 3, 4], // unknown fields
    );
    expect(decode(request)).toEqual({ nums: [1, 2, 3, 4], inner: { text: 'inside' }, name: 'héllo', ratio: 1, mask: 1 });
  });

  it.each([
    ['invalid UTF-8 inside a nested message', bytes(len(2, len(1, [0xc3, 0x28]))), 'field text (1): not valid UTF-8'],
    ['a nested message cut short', bytes(len(2, [...tag(1, 2), 5, 0x61])), 'field text (1): length 5 runs past the end of the message'],
    ['a varint that never ends', bytes(tag(1, 0), [0xff, 0xff]), 'field nums (1): truncated varint'],
    ['a varint of 11 bytes', bytes(tag(1, 0), Array<number>(10).fill(0xff), [1]), 'field nums (1): varint overflows 64 bits'],
    ['a 10-byte varint above 64 bits', bytes(tag(1, 0), Array<number>(9).fill(0xff), [2]), 'field nums (1): varint overflows 64 bits'],
    ['a tag of 6 bytes (protobufjs reads 5)', bytes([0x9a, 0x80, 0x80, 0x80, 0x80, 0x00]), 'field tag: varint longer than 5 bytes'],
    ['a field number above 2^29 - 1', bytes(varint(2 ** 29 * 8 + 2), [0]), 'field number 536870912 is above 536870911'],
    ['a length of 6 bytes (protobufjs reads 5)', bytes(tag(3, 2), [0x81, 0x80, 0x80, 0x80, 0x80, 0x00], [0x61]), 'field name (3): varint longer than 5 bytes'],
    ['a double cut short', bytes(tag(4, 1), [1, 2, 3]), 'field ratio (4): truncated'],
    ['a double sent as a fixed32', bytes(tag(4, 5), [1, 2, 3, 4]), 'field ratio (4): sent as I32, expected I64'],
    ['a string sent packed-style as a varint', bytes(tag(3, 0), [1]), 'field name (3): sent as VARINT, expected LEN'],
    ['a start-group tag', bytes(tag(50, 3)), 'unknown field 50: wire type 3 (SGROUP) is not accepted'],
  ])('refuses %s, naming the field', (_what, request, reason) => {
    expect(reasonOf(decode(request))).toBe(reason);
  });

  it('checks map entries and nested types against the message that declares them, and a request type by its own package', () => {
    // package a; message Metadata { int64 count = 1; } message Sub { int64 n = 1; }
    // message Req { map<string, string> metadata = 1; message Sub { string text = 1; } Sub sub = 2; }
    // package b; message Req { string other = 1; }   service a.S { rpc M(a.Req) returns (a.Req); rpc N(b.Req) returns (b.Req); }
    const shadowing = fromJSON(
      {
        nested: {
          a: {
            nested: {
              Metadata: { fields: { count: { type: 'int64', id: 1 } } },
              Sub: { fields: { n: { type: 'int64', id: 1 } } },
              Req: {
                fields: { metadata: { keyType: 'string', type: 'string', id: 1 }, sub: { type: 'Sub', id: 2 } },
                nested: { Sub: { fields: { text: { type: 'string', id: 1 } } } },
              },
              S: { methods: { M: { requestType: 'Req', responseType: 'Req', comment: '' }, N: { requestType: '.b.Req', responseType: '.b.Req', comment: '' } } },
            },
          },
          b: { nested: { Req: { fields: { other: { type: 'string', id: 1 } } } } },
        },
      } as unknown as Parameters<typeof fromJSON>[0], // a map field's `keyType` is missing from protobufjs' IField
      { keepCase: false, defaults: true },
    ) as unknown as Record<string, unknown>;
    tolerateMalformedRequests(shadowing);
    const methods = shadowing['a.S'] as Record<'M' | 'N', { requestDeserialize(bytes: Buffer): unknown }>;
    const entry = len(1, [...len(1, 'k'), ...len(2, 'v')]);
    expect(reasonOf(methods.M.requestDeserialize(bytes(entry, len(2, len(1, 'nested text')))))).toBeUndefined();
    expect(methods.M.requestDeserialize(bytes(entry, len(2, len(1, 'nested text'))))).toMatchObject({ metadata: { k: 'v' }, sub: { text: 'nested text' } });
    expect(reasonOf(methods.M.requestDeserialize(bytes(len(2, len(1, [0xc3, 0x28])))))).toBe('field text (1): not valid UTF-8');
    expect(methods.N.requestDeserialize(bytes(len(1, 'b side')))).toEqual({ other: 'b side' });
  });

  it('refuses messages nested deeper than 64 levels without overflowing the stack', () => {
    // message Node { Node child = 1; }: 70 levels of it.
    const recursive = fromJSON(
      { nested: { r: { nested: { Node: { fields: { child: { type: 'Node', id: 1 } } }, S: { methods: { M: { requestType: 'Node', responseType: 'Node', comment: '' } } } } } } },
      { keepCase: false },
    ) as unknown as Record<string, unknown>;
    tolerateMalformedRequests(recursive);
    const decodeNode = (recursive['r.S'] as { M: { requestDeserialize(bytes: Buffer): unknown } }).M.requestDeserialize;
    let node: number[] = [];
    for (let depth = 0; depth < 70; depth++) node = len(1, node);
    expect(reasonOf(decodeNode(Buffer.from(node)))).toBe('messages nested deeper than 64');
  });
});

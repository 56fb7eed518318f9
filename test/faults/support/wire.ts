/**
 * Hand-made protobuf wire bytes, for requests no generated client would send: wrong wire types,
 * truncated fields, invalid tags. https://protobuf.dev/programming-guides/encoding/
 */

/** Wire types: VARINT 0, I64 1, LEN 2, SGROUP 3, EGROUP 4, I32 5 (6 and 7 do not exist). */
export type WireType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** A base-128 varint; negative numbers as their 64-bit two's complement (10 bytes), as protobuf encodes int32 -1. */
export function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v === 0n ? low : low | 0x80);
  } while (v !== 0n);
  return bytes;
}

export function tag(field: number, wireType: WireType): number[] {
  return varint((field << 3) | wireType);
}

/** A LEN field (string, bytes, message): tag, length, bytes. */
export function len(field: number, value: string | Uint8Array): number[] {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
}

/** A VARINT field (int32, bool, enum). */
export function int(field: number, value: number | bigint): number[] {
  return [...tag(field, 0), ...varint(value)];
}

export function message(...fields: number[][]): Buffer {
  return Buffer.from(fields.flat());
}

const PREFIX = 'v1:';

/** An opaque page token: the last `seq` of the page, so the next page starts after it. */
export function encodePageToken(afterSeq: string): string {
  return Buffer.from(PREFIX + afterSeq, 'utf8').toString('base64url');
}

/** The `seq` a token points after, or `undefined` when the token was not made by `encodePageToken`. */
export function decodePageToken(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) return undefined;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const seq = text.slice(PREFIX.length);
  // A positive bigint: up to 19 digits, no leading zero.
  return /^[1-9]\d{0,18}$/.test(seq) && BigInt(seq) <= 9_223_372_036_854_775_807n ? seq : undefined;
}

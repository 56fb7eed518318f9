import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedAdminToken } from './admin-options.interface.js';

/** What an `Authorization` header proves. */
export type BearerCheck =
  | { readonly kind: 'missing' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'accepted'; readonly actor: string };

const MISSING: BearerCheck = { kind: 'missing' };
const REFUSED: BearerCheck = { kind: 'refused' };

/** SHA-256 of a token: comparing digests compares equal-length buffers, whatever the tokens' lengths. */
export function digestToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Checks `Authorization: Bearer <token>` against every configured token in constant time: the presented
 * token is digested once and compared with each digest through `timingSafeEqual`, without stopping at
 * the first match, so the time taken says nothing about which token, if any, is close.
 * A missing header, another scheme or an empty token is `missing`; a token that matches none is `refused`.
 */
export function checkBearer(authorization: string | undefined, tokens: readonly ResolvedAdminToken[]): BearerCheck {
  if (typeof authorization !== 'string') return MISSING;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (match === null) return MISSING;
  const presented = digestToken(match[1]!);
  let actor: string | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(presented, token.digest) && actor === undefined) actor = token.label;
  }
  return actor === undefined ? REFUSED : { kind: 'accepted', actor };
}

import { describe, expect, it } from '@jest/globals';
import { checkBearer, digestToken } from './bearer-token.js';

const tokens = [
  { digest: digestToken('alpha-token-0123456789'), label: 'alice' },
  { digest: digestToken('beta-token-0123456789ab'), label: 'bob' },
];

describe('checkBearer', () => {
  it('accepts each configured token and names its label', () => {
    expect(checkBearer('Bearer alpha-token-0123456789', tokens)).toEqual({ kind: 'accepted', actor: 'alice' });
    expect(checkBearer('bearer beta-token-0123456789ab', tokens)).toEqual({ kind: 'accepted', actor: 'bob' });
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'alpha-token-0123456789', 'Bearer a b'])('treats %j as no token', (header) => {
    expect(checkBearer(header, tokens)).toEqual({ kind: 'missing' });
  });

  it.each(['alpha-token-012345678', 'alpha-token-01234567890', 'ALPHA-TOKEN-0123456789', 'x'])('refuses %j', (token) => {
    expect(checkBearer(`Bearer ${token}`, tokens)).toEqual({ kind: 'refused' });
  });

  it('compares digests of equal length whatever the presented length', () => {
    expect(digestToken('x')).toHaveLength(32);
    expect(digestToken('y'.repeat(10_000))).toHaveLength(32);
  });
});

import { createHash, timingSafeEqual } from 'node:crypto';
import type { DetailVisibility } from '../health/health-module.options.js';

/**
 * Whether a request may see component details: `always`, `never`, or `token` when its
 * `Authorization: Bearer <token>` matches (compared in constant time).
 */
export function canSeeDetails(visibility: DetailVisibility, token: string | undefined, authorization: string | undefined): boolean {
  if (visibility === 'always') return true;
  if (visibility === 'never' || token === undefined || authorization === undefined) return false;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!match) return false;
  // Hashing first gives equal lengths, so the comparison leaks nothing about the token's length.
  return timingSafeEqual(sha256(match[1]!), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

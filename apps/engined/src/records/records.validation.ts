import { GrpcInvalidArgumentException } from '@nestjs/microservices';
import { isMalformedRequest } from '@engined/resilience/grpc';
import { decodePageToken } from './page-token.js';

export const MAX_NAME_LENGTH = 200;
export const MAX_PAYLOAD_BYTES = 65_536;
export const MAX_PAYLOAD_DEPTH = 32;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1_000;
export const MAX_REQUEST_ID_LENGTH = 128;

export interface CreateRecordInput {
  name: string;
  payload: object;
  /** The client's idempotency key; undefined when the request has none. */
  requestId: string | undefined;
}

export interface ListRecordsInput {
  pageSize: number;
  /** Start after this `seq`; undefined for the first page. */
  afterSeq: string | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** INVALID_ARGUMENT whose message starts with the field, as the API promises. */
export function invalid(field: string, reason: string): GrpcInvalidArgumentException {
  return new GrpcInvalidArgumentException(`${field}: ${reason}`);
}

export function parseCreateRecord(request: unknown): CreateRecordInput {
  const r = fields(request);
  return { name: parseName(r.name), payload: parsePayload(r.payload), requestId: parseRequestId(r.requestId) };
}

export function parseRecordId(request: unknown): string {
  const id = fields(request).id;
  if (typeof id !== 'string' || id === '') throw invalid('id', 'is required');
  if (!UUID.test(id)) throw invalid('id', 'must be a UUID');
  return id.toLowerCase();
}

export function parseListRecords(request: unknown): ListRecordsInput {
  const r = fields(request);
  const size = r.pageSize ?? 0;
  if (typeof size !== 'number' || !Number.isInteger(size)) throw invalid('page_size', 'must be an integer');
  if (size < 0) throw invalid('page_size', 'must not be negative');
  const token = r.pageToken ?? '';
  if (typeof token !== 'string') throw invalid('page_token', 'must be a string');
  const afterSeq = token === '' ? undefined : decodePageToken(token);
  if (token !== '' && afterSeq === undefined) throw invalid('page_token', 'is not a token returned by ListRecords');
  return { pageSize: size === 0 ? DEFAULT_PAGE_SIZE : Math.min(size, MAX_PAGE_SIZE), afterSeq };
}

/** The request as a field map; bytes that did not decode become INVALID_ARGUMENT here. */
function fields(request: unknown): Record<string, unknown> {
  if (isMalformedRequest(request)) throw invalid('request', `could not be decoded (${request.reason})`);
  if (typeof request !== 'object' || request === null) throw invalid('request', 'must be a message');
  return request as Record<string, unknown>;
}

function parseName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalid('name', 'is required');
  if (codePoints(name, MAX_NAME_LENGTH + 1) > MAX_NAME_LENGTH) throw invalid('name', `must be at most ${MAX_NAME_LENGTH} characters`);
  if (hasControlCharacter(name)) throw invalid('name', 'must not contain control characters');
  if (LONE_SURROGATE.test(name)) throw invalid('name', 'must be valid Unicode');
  return name;
}

/** The code points of `text` (a surrogate pair is one), counted up to `max`; no array is built. */
function codePoints(text: string, max: number): number {
  let count = 0;
  for (let i = 0; i < text.length && count < max; i++, count++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

/** PostgreSQL text cannot hold NUL; the other C0 controls and DEL are refused so names stay printable. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Optional: empty means none. Bounded in length and charset, so it is safe to log and to index. */
function parseRequestId(requestId: unknown): string | undefined {
  if (requestId === undefined || requestId === '') return undefined;
  if (typeof requestId !== 'string') throw invalid('request_id', 'must be a string');
  if (requestId.length > MAX_REQUEST_ID_LENGTH) throw invalid('request_id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`);
  if (!REQUEST_ID.test(requestId)) throw invalid('request_id', "may contain only A-Z, a-z, 0-9, '.', '_', ':' and '-'");
  return requestId;
}

function parsePayload(payload: unknown): object {
  if (payload === undefined || payload === '') return {};
  if (typeof payload !== 'string') throw invalid('payload', 'must be a string holding a JSON object');
  if (Buffer.byteLength(payload, 'utf8') > MAX_PAYLOAD_BYTES) throw invalid('payload', `must be at most ${MAX_PAYLOAD_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    throw invalid('payload', 'must be valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('payload', 'must be a JSON object');
  checkStorable(value, 1);
  return value;
}

/** PostgreSQL's jsonb refuses \u0000 and lone surrogates, and deep nesting costs its stack: refuse them first. */
function checkStorable(value: unknown, depth: number): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw invalid('payload', 'must not contain \\u0000');
    if (LONE_SURROGATE.test(value)) throw invalid('payload', 'must be valid Unicode');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_PAYLOAD_DEPTH) throw invalid('payload', `must not nest deeper than ${MAX_PAYLOAD_DEPTH} levels`);
  for (const [key, child] of Object.entries(value)) {
    checkStorable(key, depth);
    checkStorable(child, depth + 1);
  }
}

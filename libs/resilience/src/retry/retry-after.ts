/** Trailing-metadata key of gRPC's retry pushback (gRFC A6): a number of ms; negative or unparseable means do not retry. */
export const GRPC_RETRY_PUSHBACK_METADATA = 'grpc-retry-pushback-ms';
/** The library's own hint (set by `BreakerExceptionFilter` on UNAVAILABLE answers). */
const RETRY_AFTER_METADATA = 'retry-after-ms';

/** `retryAfterOf`'s answer when the error says not to retry. */
export const DO_NOT_RETRY = -1;

/**
 * The wait an error asks for before a retry, in ms; NaN when it asks for none; `DO_NOT_RETRY` when it asks
 * not to be retried. Read, in order, from:
 * - a numeric `retryAfterMs` field (`CircuitBreakerOpenError`: -1 when FORCED_OPEN, which only an operator ends);
 * - gRPC trailing metadata on the error (`error.metadata.get(key)`, a grpc-js `ServiceError`):
 *   `grpc-retry-pushback-ms` (negative or unparseable: do not retry), then `retry-after-ms`.
 */
export function retryAfterOf(error: unknown): number {
  if (typeof error !== 'object' || error === null) return Number.NaN;
  const own = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof own === 'number') return own >= 0 && Number.isFinite(own) ? own : own < 0 ? DO_NOT_RETRY : Number.NaN;
  const metadata = (error as { metadata?: { get?: unknown } }).metadata;
  if (typeof metadata !== 'object' || metadata === null || typeof metadata.get !== 'function') return Number.NaN;
  const get = metadata.get as (key: string) => unknown[];
  const pushback = first(get.call(metadata, GRPC_RETRY_PUSHBACK_METADATA));
  if (pushback !== undefined) return parseMs(pushback) ?? DO_NOT_RETRY;
  const retryAfter = first(get.call(metadata, RETRY_AFTER_METADATA));
  return retryAfter === undefined ? Number.NaN : (parseMs(retryAfter) ?? Number.NaN);
}

function first(values: unknown): unknown {
  return Array.isArray(values) && values.length > 0 ? values[0] : undefined;
}

function parseMs(value: unknown): number | undefined {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  return text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

import { invalidRequest } from './admin-http.errors.js';

/**
 * An event id from `?since=` or `Last-Event-ID`: a non-negative integer, or undefined when absent.
 * @throws BadRequestException naming `field`.
 */
export function parseEventId(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Array.isArray(value) ? undefined : typeof value === 'string' ? value.trim() : undefined;
  const id = text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw invalidRequest(field, 'must be a non-negative integer event id (the id of the last event seen; 0 for all)');
  return id;
}

/**
 * The body of an action route: absent, or a JSON object with at most `reason`.
 * @throws BadRequestException naming the unexpected field, or `body` when it is not an object.
 */
export function actionReason(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('body', 'must be a JSON object such as {"reason": "…"}');
  for (const key of Object.keys(body)) {
    if (key !== 'reason') throw invalidRequest(key, 'is not a field of this request (only "reason" is)');
  }
  return (body as { reason?: unknown }).reason;
}

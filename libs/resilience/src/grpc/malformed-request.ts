const BRAND = Symbol.for('@engined/resilience/MalformedRequest');

/**
 * What a handler receives instead of a request whose bytes did not decode (see
 * {@link tolerateMalformedRequests}). grpc-js answers a deserializer that throws with INTERNAL;
 * handed this instead, the handler answers INVALID_ARGUMENT, naming {@link reason}.
 */
export class MalformedRequest {
  readonly [BRAND] = true;

  constructor(
    /** Why the bytes were refused, e.g. `field name (1): sent as VARINT, expected LEN`. */
    readonly reason: string,
  ) {}
}

/** True for a {@link MalformedRequest}, also one made by another copy of the library. */
export function isMalformedRequest(value: unknown): value is MalformedRequest {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/**
 * Stands in for a request whose bytes did not decode. grpc-js answers a deserializer that
 * throws with INTERNAL; returning this instead lets the handler answer INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

interface MethodDefinition {
  requestDeserialize?: (bytes: Buffer) => unknown;
}

/**
 * Makes every method of the loaded services hand a {@link MalformedRequest} to its handler
 * instead of failing inside grpc-js. Meant for `GrpcOptions.onLoadPackageDefinition`.
 */
export function tolerateMalformedRequests(packageDefinition: Record<string, unknown>): void {
  for (const definition of Object.values(packageDefinition)) {
    // Message and enum entries carry `format`; services are maps of method definitions.
    if (typeof definition !== 'object' || definition === null || 'format' in definition) continue;
    for (const method of Object.values(definition as Record<string, MethodDefinition>)) {
      const decode = method?.requestDeserialize;
      if (typeof decode !== 'function') continue;
      method.requestDeserialize = (bytes) => {
        try {
          return decode(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      };
    }
  }
}

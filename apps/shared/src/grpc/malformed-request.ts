/**
 * Stands in for a request whose bytes did not decode. grpc-js answers a deserializer that
 * throws with INTERNAL; returning this instead lets the handler answer INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

interface MethodDefinition {
  requestDeserialize?: (bytes: Buffer) => unknown;
  requestType?: unknown;
}

/** A field as @grpc/proto-loader describes it (google.protobuf.FieldDescriptorProto, as JSON). */
interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

/** A message type entry of a proto-loader package definition. */
interface MessageTypeDefinition {
  format: string;
  type: { name?: string; field?: FieldDescriptor[] };
}

/**
 * Makes every method of the loaded services hand a {@link MalformedRequest} to its handler
 * instead of failing inside grpc-js, and checks the wire format strictly first: protobufjs (under
 * @grpc/proto-loader) decodes leniently (it ignores a known field's wire type, cuts a length that runs
 * past the end, accepts field number 0, and replaces invalid UTF-8), so those requests would reach the
 * handler as something the client never sent. Meant for `GrpcOptions.onLoadPackageDefinition`.
 */
export function tolerateMalformedRequests(packageDefinition: Record<string, unknown>): void {
  const checker = new WireChecker(packageDefinition);
  for (const [serviceName, definition] of Object.entries(packageDefinition)) {
    // Message and enum entries carry `format`; services are maps of method definitions.
    if (typeof definition !== 'object' || definition === null || 'format' in definition) continue;
    for (const method of Object.values(definition as Record<string, MethodDefinition>)) {
      const decode = method?.requestDeserialize;
      if (typeof decode !== 'function') continue;
      // The request type's descriptor names it relative to the service's package.
      const typeName = isMessageType(method.requestType) ? method.requestType.type.name : undefined;
      const requestName = typeName === undefined ? undefined : checker.resolve(typeName, serviceName);
      method.requestDeserialize = (bytes) => {
        try {
          if (requestName !== undefined) checker.check(bytes, requestName);
          return decode(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      };
    }
  }
}

function isMessageType(value: unknown): value is MessageTypeDefinition {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'Protocol Buffer 3 DescriptorProto';
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const MAX_DEPTH = 64;
const WIRE_TYPES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', 'invalid', 'invalid'];

/** The wire type a field of this type is sent with (a repeated numeric field may also come packed, as LEN). */
function wireTypeOf(type: string): number {
  switch (type) {
    case 'TYPE_DOUBLE':
    case 'TYPE_FIXED64':
    case 'TYPE_SFIXED64':
      return I64;
    case 'TYPE_FLOAT':
    case 'TYPE_FIXED32':
    case 'TYPE_SFIXED32':
      return I32;
    case 'TYPE_STRING':
    case 'TYPE_BYTES':
    case 'TYPE_MESSAGE':
      return LEN;
    default:
      return VARINT;
  }
}

/** The field's name as the .proto spells it: proto-loader (keepCase: false) hands out camelCase. */
function protoName(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Walks protobuf wire bytes against the message descriptors and throws, naming the field, on anything a strict decoder refuses. */
class WireChecker {
  private readonly fields = new Map<string, Map<number, FieldDescriptor>>();

  constructor(private readonly definitions: Record<string, unknown>) {}

  check(bytes: Uint8Array, messageName: string, depth = 0): void {
    if (depth > MAX_DEPTH) throw new Error(`messages nested deeper than ${MAX_DEPTH}`);
    const fields = this.fieldsOf(messageName);
    let pos = 0;
    const varint = (what: string): number => {
      let value = 0;
      let scale = 1;
      for (let i = 0; i < 10; i++) {
        if (pos >= bytes.length) throw new Error(`${what}: truncated varint`);
        const byte = bytes[pos++]!;
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 128;
      }
      throw new Error(`${what}: varint longer than 10 bytes`);
    };
    while (pos < bytes.length) {
      const tag = varint('field tag');
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number === 0) throw new Error('field number 0 is not allowed');
      const field = fields?.get(number);
      const what = field ? `field ${protoName(field.name)} (${number})` : `unknown field ${number}`;
      if (field) {
        const expected = wireTypeOf(field.type);
        const packed = field.label === 'LABEL_REPEATED' && expected !== LEN && wireType === LEN;
        if (wireType !== expected && !packed) throw new Error(`${what}: sent as ${WIRE_TYPES[wireType]}, expected ${WIRE_TYPES[expected]}`);
      }
      switch (wireType) {
        case VARINT:
          varint(what);
          break;
        case I64:
        case I32: {
          const size = wireType === I64 ? 8 : 4;
          if (pos + size > bytes.length) throw new Error(`${what}: truncated`);
          pos += size;
          break;
        }
        case LEN: {
          const length = varint(what);
          if (pos + length > bytes.length) throw new Error(`${what}: length ${length} runs past the end of the message`);
          const value = bytes.subarray(pos, pos + length);
          pos += length;
          if (field?.type === 'TYPE_STRING') {
            try {
              utf8.decode(value);
            } catch {
              throw new Error(`${what}: not valid UTF-8`);
            }
          } else if (field?.type === 'TYPE_MESSAGE') {
            const nested = this.resolve(field.typeName, messageName);
            if (nested !== undefined) this.check(value, nested, depth + 1);
          }
          break;
        }
        default:
          // Groups (3, 4) do not exist in proto3; 6 and 7 are no wire type at all.
          throw new Error(`${what}: wire type ${wireType} (${WIRE_TYPES[wireType]}) is not accepted`);
      }
    }
  }

  private fieldsOf(messageName: string): Map<number, FieldDescriptor> | undefined {
    let fields = this.fields.get(messageName);
    if (fields === undefined) {
      const definition = this.definitions[messageName];
      if (!isMessageType(definition)) return undefined;
      fields = new Map((definition.type.field ?? []).map((field) => [field.number, field]));
      this.fields.set(messageName, fields);
    }
    return fields;
  }

  /** A field's type name, resolved as protobuf does: absolute when it starts with a dot, else from the innermost scope out. */
  resolve(typeName: string, scope: string): string | undefined {
    if (typeName.startsWith('.')) return isMessageType(this.definitions[typeName.slice(1)]) ? typeName.slice(1) : undefined;
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), typeName].join('.');
      if (isMessageType(this.definitions[candidate])) return candidate;
    }
    return undefined;
  }
}

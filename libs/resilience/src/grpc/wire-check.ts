import { isUtf8 } from 'node:buffer';
import { MalformedRequest } from './malformed-request.js';

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
  type: MessageDescriptor;
}

/** Deserializers this module made: applying it twice to one definition checks each request once. */
const strict = new WeakSet<(bytes: Buffer) => unknown>();

/**
 * Makes every method of the loaded services hand a {@link MalformedRequest} to its handler
 * instead of failing inside grpc-js (INTERNAL), and checks the wire format strictly first: protobufjs
 * (under @grpc/proto-loader) decodes leniently (it ignores a known field's wire type, cuts a length that
 * runs past the end, accepts field number 0, and replaces invalid UTF-8), so those requests would reach
 * the handler as something the client never sent. Refused: a known field sent with another wire type, a
 * length or varint that runs past the end, a varint over 64 bits, a tag or length over 5 bytes, field
 * number 0 or above 2^29 - 1, groups and wire types 6/7, invalid UTF-8 in a string, nesting deeper than
 * 64; unknown fields of a valid wire type pass, as protobuf says. Meant for
 * `GrpcOptions.onLoadPackageDefinition`; `GrpcHealthService` applies it to grpc.health.v1 itself.
 *
 * ```ts
 * new GrpcServer({ ...options, onLoadPackageDefinition: (pkg) => tolerateMalformedRequests(pkg) });
 * // in the handler
 * if (isMalformedRequest(request)) throw new GrpcInvalidArgumentException(`request: could not be decoded (${request.reason})`);
 * ```
 */
export function tolerateMalformedRequests(packageDefinition: Record<string, unknown>): void {
  const checker = new WireChecker(packageDefinition);
  for (const [serviceName, definition] of Object.entries(packageDefinition)) {
    // Message and enum entries carry `format`; services are maps of method definitions.
    if (typeof definition !== 'object' || definition === null || 'format' in definition) continue;
    for (const method of Object.values(definition as Record<string, MethodDefinition>)) {
      const decode = method?.requestDeserialize;
      if (typeof decode !== 'function') continue;
      if (strict.has(decode)) continue;
      const request = requestTypeOf(method, serviceName, packageDefinition, checker);
      method.requestDeserialize = (bytes) => {
        try {
          if (request !== undefined) checker.check(bytes, request.descriptor, request.name);
          return decode(bytes);
        } catch (error) {
          return new MalformedRequest(error instanceof Error ? error.message : String(error));
        }
      };
      strict.add(method.requestDeserialize);
    }
  }
}

/**
 * The method's request type and its full name. The descriptor carries only the short name, so the type
 * is looked up among the package's messages of that name: by scope from the service when that lands on
 * the same descriptor, else the one message with an identical descriptor. Undefined when that is not
 * certain: the request is then left to protobufjs alone.
 */
function requestTypeOf(
  method: MethodDefinition,
  serviceName: string,
  packageDefinition: Record<string, unknown>,
  checker: WireChecker,
): { descriptor: MessageDescriptor; name: string } | undefined {
  if (!isMessageType(method.requestType)) return undefined;
  const descriptor = method.requestType.type;
  const short = descriptor.name;
  if (short === undefined) return undefined;
  const same = (name: string): boolean => JSON.stringify(checker.message(name)) === JSON.stringify(descriptor);
  const scoped = checker.resolve(short, serviceName);
  if (scoped !== undefined && same(scoped)) return { descriptor, name: scoped };
  const matches = Object.keys(packageDefinition).filter((name) => (name === short || name.endsWith(`.${short}`)) && same(name));
  return matches.length === 1 ? { descriptor, name: matches[0]! } : undefined;
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

const FIELD_TAG = (): string => 'field tag';

/** A message's descriptor as proto-loader hands it out: its fields, and the types declared inside it (map entries too). */
interface MessageDescriptor {
  name?: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
}

/** The largest field number protobuf allows. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

/** Walks protobuf wire bytes against the message descriptors and throws, naming the field, on anything a strict decoder refuses. */
class WireChecker {
  private readonly fields = new WeakMap<MessageDescriptor, Map<number, FieldDescriptor>>();
  /** Each message field's resolved type (null: left to protobufjs), worked out on its first occurrence. */
  private readonly fieldTypes = new WeakMap<FieldDescriptor, { descriptor: MessageDescriptor; name: string } | null>();

  constructor(private readonly definitions: Record<string, unknown>) {}

  /**
   * Checks `bytes` as a message of the type `descriptor` describes; `scope` is that type's full name
   * (where its field types are resolved from).
   */
  check(bytes: Uint8Array, descriptor: MessageDescriptor, scope: string, depth = 0): void {
    if (depth > MAX_DEPTH) throw new Error(`messages nested deeper than ${MAX_DEPTH}`);
    const fields = this.fieldsOf(descriptor);
    let pos = 0;
    /** A varint of at most `maxBytes` bytes; protobufjs reads tags and lengths as 32-bit (5 bytes). */
    // `what` names the field in an error; built only then (a valid request builds no strings).
    const varint = (what: () => string, maxBytes: number): number => {
      let value = 0;
      let scale = 1;
      for (let i = 0; i < maxBytes; i++) {
        if (pos >= bytes.length) throw new Error(`${what()}: truncated varint`);
        const byte = bytes[pos++]!;
        // The 10th byte of a 64-bit varint may only carry its last bit.
        if (i === 9 && byte > 1) throw new Error(`${what()}: varint overflows 64 bits`);
        value += (byte & 0x7f) * scale;
        if (byte < 0x80) return value;
        scale *= 128;
      }
      throw new Error(`${what()}: varint longer than ${maxBytes} bytes`);
    };
    while (pos < bytes.length) {
      const tag = varint(FIELD_TAG, 5);
      const number = Math.floor(tag / 8);
      const wireType = tag % 8;
      if (number === 0) throw new Error('field number 0 is not allowed');
      if (number > MAX_FIELD_NUMBER) throw new Error(`field number ${number} is above ${MAX_FIELD_NUMBER}`);
      const field = fields.get(number);
      const what = (): string => (field ? `field ${protoName(field.name)} (${number})` : `unknown field ${number}`);
      if (field) {
        const expected = wireTypeOf(field.type);
        const packed = field.label === 'LABEL_REPEATED' && expected !== LEN && wireType === LEN;
        if (wireType !== expected && !packed) throw new Error(`${what()}: sent as ${WIRE_TYPES[wireType]}, expected ${WIRE_TYPES[expected]}`);
      }
      switch (wireType) {
        case VARINT:
          varint(what, 10);
          break;
        case I64:
        case I32: {
          const size = wireType === I64 ? 8 : 4;
          if (pos + size > bytes.length) throw new Error(`${what()}: truncated`);
          pos += size;
          break;
        }
        case LEN: {
          const length = varint(what, 5);
          if (pos + length > bytes.length) throw new Error(`${what()}: length ${length} runs past the end of the message`);
          const value = bytes.subarray(pos, pos + length);
          pos += length;
          if (field?.type === 'TYPE_STRING') {
            // Validates without building the string (protobufjs decodes it next).
            if (!isUtf8(value)) throw new Error(`${what()}: not valid UTF-8`);
          } else if (field?.type === 'TYPE_MESSAGE') {
            let nested = this.fieldTypes.get(field);
            if (nested === undefined) {
              nested = this.fieldType(field.typeName, descriptor, scope) ?? null;
              this.fieldTypes.set(field, nested);
            }
            if (nested !== null) this.check(value, nested.descriptor, nested.name, depth + 1);
          }
          break;
        }
        default:
          // Groups (3, 4) do not exist in proto3; 6 and 7 are no wire type at all.
          throw new Error(`${what()}: wire type ${wireType} (${WIRE_TYPES[wireType]}) is not accepted`);
      }
    }
  }

  /** A top-level message type by its full name. */
  message(name: string): MessageDescriptor | undefined {
    const definition = this.definitions[name];
    return isMessageType(definition) ? definition.type : undefined;
  }

  /**
   * A message type named relative to `scope` as protobuf resolves it (innermost scope first); undefined if
   * there is none or it is ambiguous to this checker, which then leaves the bytes to protobufjs.
   */
  resolve(typeName: string, scope: string): string | undefined {
    if (typeName.startsWith('.')) return this.message(typeName.slice(1)) ? typeName.slice(1) : undefined;
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), typeName].join('.');
      if (this.message(candidate)) return candidate;
    }
    return undefined;
  }

  /**
   * The type of a message field: first a type declared inside the message itself (a nested message or a
   * map entry, which proto-loader leaves out of the package definition), then a top-level one.
   */
  private fieldType(typeName: string, descriptor: MessageDescriptor, scope: string): { descriptor: MessageDescriptor; name: string } | undefined {
    const short = typeName.slice(typeName.lastIndexOf('.') + 1);
    const nested = descriptor.nestedType?.find((type) => type.name === short || type.name === `${short}Entry`);
    if (nested !== undefined) return { descriptor: nested, name: `${scope}.${nested.name ?? short}` };
    // A dotted name may point into another message's nested types, which this checker cannot see.
    if (!typeName.startsWith('.') && typeName.includes('.')) return undefined;
    const name = this.resolve(typeName, scope);
    const found = name === undefined ? undefined : this.message(name);
    return found === undefined || name === undefined ? undefined : { descriptor: found, name };
  }

  private fieldsOf(descriptor: MessageDescriptor): Map<number, FieldDescriptor> {
    let fields = this.fields.get(descriptor);
    if (fields === undefined) {
      fields = new Map((descriptor.field ?? []).map((field) => [field.number, field]));
      this.fields.set(descriptor, fields);
    }
    return fields;
  }
}

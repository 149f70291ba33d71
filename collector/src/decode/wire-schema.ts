import type { OtlpEncoding } from './otlp-encoding.ts';

// What the request scanners (wire-scan.ts for protobuf, json-scan.ts for
// OTLP/JSON) need to know of a signal's messages: which field of which
// message is a nested message, a repeated element, a string; and what one
// decoded instance of each message costs in memory. Each signal writes its
// table once (signals/traces/trace-wire-schema.ts); the scanners stay signal-free.

/** A scalar field, by how protobufjs reads it (the wire type of a known field is ignored, as protobufjs ignores it). */
export type ScalarKind =
  /** uint32, int32, sint32, bool, enum: protobufjs' uint32 varint reader. */
  | 'varint32'
  /** uint64, int64, sint64: the 64-bit varint reader. */
  | 'varint64'
  /** fixed32, sfixed32, float. */
  | 'fixed32'
  /** fixed64, sfixed64, double. */
  | 'fixed64'
  /** Decoded into a JS string: an overlong length is cut at the message's end, not refused (protobufjs does so). */
  | 'string'
  | 'bytes';

export type FieldShape =
  | {
      number: number;
      scalar: ScalarKind;
      repeated?: boolean;
      /** Memory each occurrence adds to its message's, by encoding, when decoding makes an object of it (a Long for an int64 value, a Buffer for bytes). */
      bytes?: Readonly<Record<OtlpEncoding, number>>;
    }
  | { number: number; message: string; repeated?: boolean };

export interface MessageShape {
  /**
   * Memory one decoded instance takes, in bytes, by request encoding: what
   * decoding builds for it (protobufjs' message; in OTLP/JSON also the parsed
   * object) plus its share of the rows, without its strings (counted by
   * number and length) and without its slot in a repeated field (counted by
   * element). Measured; see the signal's table.
   */
  bytes: Readonly<Record<OtlpEncoding, number>>;
  /** Fields by their OTLP/JSON (lowerCamelCase) name. */
  fields: Readonly<Record<string, FieldShape>>;
  /** An AnyValue: each one nested in another is one level of value depth. */
  value?: boolean;
}

/** A signal's messages by name, and the name of its Export…ServiceRequest. */
export interface SchemaShape {
  root: string;
  messages: Readonly<Record<string, MessageShape>>;
}

// A field's code packs what the scanners dispatch on into one small integer:
// its kind (low 3 bits), whether it is repeated (bit 3), whether its
// occurrences are counted for their own weight (bit 4, scalars only) and,
// above, the nested message's index (messages) or the weighted field's slot.
export const KIND_VARINT32 = 1;
export const KIND_VARINT64 = 2;
export const KIND_FIXED32 = 3;
export const KIND_FIXED64 = 4;
export const KIND_STRING = 5;
export const KIND_BYTES = 6;
export const KIND_MESSAGE = 7;
export const KIND_MASK = 7;
export const REPEATED = 8;
export const WEIGHTED = 16;
export const INDEX_SHIFT = 5;

const SCALAR_KINDS: Readonly<Record<ScalarKind, number>> = {
  varint32: KIND_VARINT32,
  varint64: KIND_VARINT64,
  fixed32: KIND_FIXED32,
  fixed64: KIND_FIXED64,
  string: KIND_STRING,
  bytes: KIND_BYTES,
};

/** A SchemaShape compiled into arrays, indexed by message number, that the scanners read without allocating. */
export interface WireSchema {
  /** Index of the request message. */
  readonly root: number;
  readonly names: readonly string[];
  /** Per message: field code by field number, 0 for a field it does not have. */
  readonly byNumber: readonly Int32Array[];
  /** Per message: the UTF-8 bytes of its fields' JSON names, and their codes at the same index. */
  readonly jsonNames: readonly (readonly Uint8Array[])[];
  readonly jsonCodes: readonly Int32Array[];
  /** Per message: 1 for AnyValue, the unit of value depth. */
  readonly isValue: Uint8Array;
  /** Per message: bytes of one decoded instance, by encoding. */
  readonly bytes: Readonly<Record<OtlpEncoding, Float64Array>>;
  /** Per weighted field slot: bytes each occurrence adds, by encoding. */
  readonly fieldBytes: Readonly<Record<OtlpEncoding, Float64Array>>;
  /** The costliest message of the table, by encoding: what a value the JSON scan cannot place may become. */
  readonly maxBytes: Readonly<Record<OtlpEncoding, number>>;
}

/** Compiles a signal's table; throws TypeError on a name that does not resolve or a bad field number. */
export function compileWireSchema(shape: SchemaShape): WireSchema {
  const names = Object.keys(shape.messages);
  const indexOf = new Map(names.map((name, index) => [name, index]));
  const root = indexOf.get(shape.root);
  if (root === undefined) throw new TypeError(`wire schema: root message ${shape.root} is not in the table`);
  const byNumber: Int32Array[] = [];
  const jsonNames: Uint8Array[][] = [];
  const jsonCodes: Int32Array[] = [];
  const isValue = new Uint8Array(names.length);
  const bytes = { protobuf: new Float64Array(names.length), json: new Float64Array(names.length) };
  const fieldBytes: Record<OtlpEncoding, number[]> = { protobuf: [], json: [] };
  names.forEach((name, index) => {
    const message = shape.messages[name] as MessageShape;
    const fields = Object.entries(message.fields);
    const codes = new Int32Array(Math.max(0, ...fields.map(([, field]) => field.number)) + 1);
    const codesByName = new Int32Array(fields.length);
    for (const [i, [fieldName, field]] of fields.entries()) {
      if (!Number.isInteger(field.number) || field.number < 1 || field.number > 0x1fffffff) {
        throw new TypeError(`wire schema: ${name}.${fieldName} has no valid field number`);
      }
      let code: number;
      if ('message' in field) {
        const child = indexOf.get(field.message);
        if (child === undefined) throw new TypeError(`wire schema: ${name}.${fieldName} names ${field.message}, not in the table`);
        code = KIND_MESSAGE | (child << INDEX_SHIFT);
      } else {
        code = SCALAR_KINDS[field.scalar];
        if (field.bytes !== undefined) {
          code |= WEIGHTED | (fieldBytes.protobuf.length << INDEX_SHIFT);
          fieldBytes.protobuf.push(field.bytes.protobuf);
          fieldBytes.json.push(field.bytes.json);
        }
      }
      if (field.repeated === true) code |= REPEATED;
      codes[field.number] = code;
      codesByName[i] = code;
    }
    byNumber.push(codes);
    jsonNames.push(fields.map(([fieldName]) => new Uint8Array(Buffer.from(fieldName, 'utf8'))));
    jsonCodes.push(codesByName);
    isValue[index] = message.value === true ? 1 : 0;
    bytes.protobuf[index] = message.bytes.protobuf;
    bytes.json[index] = message.bytes.json;
  });
  return {
    root,
    names,
    byNumber,
    jsonNames,
    jsonCodes,
    isValue,
    bytes,
    fieldBytes: { protobuf: Float64Array.from(fieldBytes.protobuf), json: Float64Array.from(fieldBytes.json) },
    maxBytes: { protobuf: Math.max(...bytes.protobuf), json: Math.max(...bytes.json) },
  };
}

/** What a scan of one request counted: what decoding it would build. */
export interface WireCounts {
  /** Items of repeated fields (spans, key-values, array items, events, links, …), plus in OTLP/JSON every value the schema does not know. */
  elements: number;
  /**
   * Repeated fields with items, each an array decoding grows item by item
   * (so with room to spare). In protobuf, a run of one field's items counts
   * one; items interleaved with another repeated field's count more runs.
   */
  arrays: number;
  /** Decoded instances of each message, by its index in the schema (the request itself included). */
  readonly messages: Float64Array;
  /** Occurrences of each weighted field, by its slot in the schema. */
  readonly fields: Float64Array;
  /**
   * OTLP/JSON objects and arrays the scan could not place in the schema (an
   * unknown or escaped key, a wrong type): JSON.parse builds them all the
   * same, and a key escaped as \u0073pans still decodes as spans, so each may
   * cost as much as the costliest message.
   */
  unplacedContainers: number;
  /** OTLP/JSON scalars outside the schema (object keys in unplaced containers included): a slot each, strings counted by length. */
  unplacedScalars: number;
  /** Non-empty strings and bytes values decoding makes (in OTLP/JSON, every non-empty string value the schema places). */
  strings: number;
  /** Bytes of strings (in OTLP/JSON, of every string but bytes fields', keys too). */
  stringBytes: number;
  /** Bytes of bytes fields (IDs, bytes values; in OTLP/JSON their hex or base64 text). */
  bytesBytes: number;
  /** Deepest nesting of values, 1 for a plain attribute value; 0 when there is no value. */
  maxValueDepth: number;
}

export function emptyWireCounts(schema: WireSchema): WireCounts {
  return {
    elements: 0,
    arrays: 0,
    messages: new Float64Array(schema.names.length),
    fields: new Float64Array(schema.fieldBytes.protobuf.length),
    unplacedContainers: 0,
    unplacedScalars: 0,
    strings: 0,
    stringBytes: 0,
    bytesBytes: 0,
    maxValueDepth: 0,
  };
}

/**
 * protobufjs refuses messages nested deeper than this (protoc's default
 * recursion limit), counting the request as 0; the scanners refuse them
 * too, so that they never recurse further than decoding would.
 */
export const MAX_MESSAGE_DEPTH = 100;

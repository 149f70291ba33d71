import { isAscii } from 'node:buffer';
import type { DecodeLimits } from './decode-limits.ts';
import { scanJson } from './json-scan.ts';
import { MalformedRequestError } from './malformed-request-error.ts';
import type { OtlpEncoding } from './otlp-encoding.ts';
import { scanProtobuf } from './wire-scan.ts';
import type { WireCounts, WireSchema } from './wire-schema.ts';

/** What the counting pass over a request found, before anything is decoded. */
export interface RequestScan {
  /** Elements of the request (spans, key-values, array items, events, links, …); in OTLP/JSON an upper bound. */
  elements: number;
  /** Deepest nesting of values (1 for a plain attribute value). */
  maxValueDepth: number;
  /**
   * Memory decoding the request will take, beyond the body itself: the
   * estimate reserved before decoding. It holds protobufjs' messages and the
   * rows together: the messages are garbage once the rows are made, but not
   * memory given back until the GC runs.
   */
  decodedBytes: number;
}

/**
 * Counts what decoding `body` would build (wire-scan.ts or json-scan.ts over
 * the signal's schema) and estimates its memory. Throws MalformedRequestError
 * when the body cannot be decoded, or when it holds more elements than
 * limits.maxRequestElements: such a request is refused whole, before any of
 * it is built.
 */
export function scanRequest(body: Buffer, encoding: OtlpEncoding, schema: WireSchema, limits: DecodeLimits): RequestScan {
  const max = limits.maxRequestElements;
  // The scanners stop once past the limit: an oversized request costs no more to refuse than one at the limit.
  const counts = encoding === 'protobuf' ? scanProtobuf(body, schema, max) : scanJson(body, schema, max);
  if (counts.elements > max) {
    throw new MalformedRequestError(
      `request holds more than ${max} elements (spans, key-values, array items, events and links together), the limit per request: send smaller batches`,
    );
  }
  return { elements: counts.elements, maxValueDepth: counts.maxValueDepth, decodedBytes: decodedBytesOf(counts, schema, encoding, body) };
}

// What decoding costs beyond each message's own weight (in the signal's
// schema), measured as the schema's weights were (signals/traces/trace-wire-schema.ts).
//
// A string is an object of its own: a 24-byte header, then a byte per
// character, but two for every character once one of them is beyond Latin-1
// (V8's two-byte strings). OTLP/JSON text that is all ASCII can hold none of
// those; protobuf cannot be told apart that cheaply, so its strings count 2
// bytes per wire byte. Bytes fields come back as base64 or hex in the rows
// (up to 2 per byte); in OTLP/JSON their text is also decoded into a Buffer
// (3 per text byte with the parsed string).
const STRING_HEADER_BYTES = 24;
const STRING_BYTE_COST: Readonly<Record<OtlpEncoding, number>> = { protobuf: 2, json: 1 };
const NON_ASCII_JSON_STRING_BYTE_COST = 2;
const BYTES_BYTE_COST: Readonly<Record<OtlpEncoding, number>> = { protobuf: 2, json: 3 };
// Each element's slot in the arrays decoding builds (protobufjs', the row's,
// and in OTLP/JSON the parsed one); and each array's own store, which
// protobufjs and fromObject grow item by item from 16 free slots: measured on
// one-item arrays nested 20 deep, the costliest arrays per element.
const ELEMENT_SLOT_BYTES: Readonly<Record<OtlpEncoding, number>> = { protobuf: 24, json: 32 };
const ARRAY_BYTES: Readonly<Record<OtlpEncoding, number>> = { protobuf: 232, json: 280 };
// OTLP/JSON is first made one string of the whole body: a byte per byte, two
// when any character is beyond ASCII (a UTF-8 sequence decodes to at most one
// UTF-16 code unit per byte).
const TEXT_BYTE_COST = { ascii: 1, other: 2 };
// A JSON scalar no message holds: its property or element slot and a heap
// number for a double (strings are counted by length). Measured: 8 per item of
// an array of 100,000 doubles, 87 per member of an object of 100,000 numbers
// (its key string included, which is also counted by length).
const UNPLACED_SCALAR_BYTES = 32;

/** The memory estimate of a scanned request, without the body itself (which the receiver has reserved already). */
export function decodedBytesOf(counts: WireCounts, schema: WireSchema, encoding: OtlpEncoding, body: Buffer): number {
  const ascii = encoding === 'json' && isAscii(body);
  const stringByteCost = encoding === 'json' && !ascii ? NON_ASCII_JSON_STRING_BYTE_COST : STRING_BYTE_COST[encoding];
  let bytes =
    counts.strings * STRING_HEADER_BYTES +
    counts.stringBytes * stringByteCost +
    counts.bytesBytes * BYTES_BYTE_COST[encoding] +
    counts.elements * ELEMENT_SLOT_BYTES[encoding] +
    counts.arrays * ARRAY_BYTES[encoding];
  const perMessage = schema.bytes[encoding];
  for (let i = 0; i < perMessage.length; i++) bytes += (counts.messages[i] as number) * (perMessage[i] as number);
  const perField = schema.fieldBytes[encoding];
  for (let i = 0; i < perField.length; i++) bytes += (counts.fields[i] as number) * (perField[i] as number);
  if (encoding === 'json') {
    bytes += body.length * (ascii ? TEXT_BYTE_COST.ascii : TEXT_BYTE_COST.other);
    bytes += counts.unplacedContainers * schema.maxBytes.json + counts.unplacedScalars * UNPLACED_SCALAR_BYTES;
  }
  return Math.ceil(bytes);
}

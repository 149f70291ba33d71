import { MalformedRequestError } from './malformed-request-error.ts';
import {
  emptyWireCounts,
  INDEX_SHIFT,
  KIND_FIXED32,
  KIND_FIXED64,
  KIND_MASK,
  KIND_MESSAGE,
  KIND_STRING,
  KIND_VARINT32,
  KIND_VARINT64,
  MAX_MESSAGE_DEPTH,
  REPEATED,
  WEIGHTED,
} from './wire-schema.ts';
import type { WireCounts, WireSchema } from './wire-schema.ts';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

/** A wire format error, named by scanProtobuf once it knows the request's message. */
class WireError extends Error {}

/**
 * Counts what protobufjs would build from `body` decoded as the schema's
 * request message, building nothing: the elements of every repeated field,
 * the instances of every message, strings and value depth. It walks the wire
 * format the way protobufjs' generated decoder does (a known field is read by
 * its declared type whatever its wire type, an unknown one skipped by its
 * wire type, groups included; every length checked against the message
 * around it), so the counts are those of what decode would build, and what
 * decode would refuse is refused here first, as MalformedRequestError.
 * String and bytes contents are skipped by their length, never read. Past
 * `maxElements` it stops: the request is refused, and its counts so far say
 * so (elements is then maxElements + 1).
 *
 * One loop with an explicit stack (messages nest at most 101 deep, as in
 * protobufjs) and the position in a local: this runs on every request, before
 * a decode that is only a few times slower.
 */
export function scanProtobuf(body: Uint8Array, schema: WireSchema, maxElements = Number.POSITIVE_INFINITY): WireCounts {
  try {
    return walk(body, schema, maxElements);
  } catch (error) {
    if (error instanceof WireError) {
      throw new MalformedRequestError(`request body is not a valid protobuf ${schema.names[schema.root]}: ${error.message}`);
    }
    throw error;
  }
}

// Where the last out-of-line read left the position (they return the value).
let cursor = 0;

function walk(buf: Uint8Array, schema: WireSchema, maxElements: number): WireCounts {
  const counts = emptyWireCounts(schema);
  const { byNumber, isValue } = schema;
  const messages = counts.messages;
  const fields = counts.fields;
  // The enclosing messages: where each ends, which it is, its last repeated field.
  const ends = new Float64Array(MAX_MESSAGE_DEPTH + 2);
  const stack = new Int32Array(MAX_MESSAGE_DEPTH + 2);
  const lasts = new Int32Array(MAX_MESSAGE_DEPTH + 2);
  let elements = 0;
  let arrays = 0;
  let strings = 0;
  let stringBytes = 0;
  let bytesBytes = 0;
  let valueDepth = 0;
  let maxValueDepth = 0;

  let pos = 0;
  let end = buf.length;
  let message = schema.root;
  let codes = byNumber[message] as Int32Array;
  let depth = 0;
  let lastRepeated = -1;
  messages[message] = 1;
  if (isValue[message] === 1) maxValueDepth = valueDepth = 1;

  scan: for (;;) {
    while (pos < end) {
      let tag = buf[pos] as number;
      if (tag < 0x80) pos++;
      else {
        tag = uint32(buf, pos, end);
        pos = cursor;
      }
      const number = tag >>> 3;
      const code = number < codes.length ? (codes[number] as number) : 0;
      if (code === 0) {
        pos = skipUnknown(buf, pos, end, tag & 7, depth);
        continue;
      }
      const kind = code & KIND_MASK;
      if ((code & WEIGHTED) !== 0) fields[code >>> INDEX_SHIFT] = (fields[code >>> INDEX_SHIFT] as number) + 1;
      if ((code & REPEATED) !== 0) {
        if (number !== lastRepeated) {
          arrays++;
          lastRepeated = number;
        }
        if (kind < KIND_STRING && (tag & 7) === WIRE_LENGTH) {
          // Packed scalars: one element per value in the run.
          let length = buf[pos] as number;
          if (length < 0x80 && pos < end) pos++;
          else {
            length = uint32(buf, pos, end);
            pos = cursor;
          }
          const stop = pos + length;
          if (stop > end) throw outOfRange(pos);
          // A weighted field (a histogram's bucket counts) weighs per value, not per run.
          const weighted = (code & WEIGHTED) !== 0;
          if (weighted) fields[code >>> INDEX_SHIFT] = (fields[code >>> INDEX_SHIFT] as number) - 1;
          while (pos < stop) {
            if (++elements > maxElements) break scan;
            if (weighted) fields[code >>> INDEX_SHIFT] = (fields[code >>> INDEX_SHIFT] as number) + 1;
            pos = skipScalar(buf, pos, stop, kind);
          }
          if (pos !== stop) throw outOfRange(pos);
          continue;
        }
        if (++elements > maxElements) break scan;
      }
      if (kind < KIND_STRING) {
        pos = skipScalar(buf, pos, end, kind);
        continue;
      }
      let length = buf[pos] as number;
      if (length < 0x80 && pos < end) pos++;
      else {
        length = uint32(buf, pos, end);
        pos = cursor;
      }
      if (kind === KIND_MESSAGE) {
        const stop = pos + length;
        if (stop > end) throw outOfRange(pos);
        if (++depth > MAX_MESSAGE_DEPTH) throw new WireError('maximum nesting depth exceeded');
        ends[depth] = end;
        stack[depth] = message;
        lasts[depth] = lastRepeated;
        end = stop;
        message = code >>> INDEX_SHIFT;
        codes = byNumber[message] as Int32Array;
        lastRepeated = -1;
        messages[message] = (messages[message] as number) + 1;
        if (isValue[message] === 1 && ++valueDepth > maxValueDepth) maxValueDepth = valueDepth;
        continue;
      }
      if (kind === KIND_STRING) {
        // protobufjs' Buffer reader cuts an overlong string at the message's end.
        if (length > end - pos) length = end - pos;
        stringBytes += length;
      } else {
        if (pos + length > end) throw outOfRange(pos);
        bytesBytes += length;
      }
      if (length > 0) strings++;
      pos += length;
    }
    if (depth === 0) break;
    // protobufjs checks that a nested message ends exactly where its length
    // said; the request itself has no length to check.
    if (pos !== end) throw outOfRange(pos);
    if (isValue[message] === 1) valueDepth--;
    end = ends[depth] as number;
    message = stack[depth] as number;
    lastRepeated = lasts[depth] as number;
    codes = byNumber[message] as Int32Array;
    depth--;
  }

  counts.elements = elements;
  counts.arrays = arrays;
  counts.strings = strings;
  counts.stringBytes = stringBytes;
  counts.bytesBytes = bytesBytes;
  counts.maxValueDepth = maxValueDepth;
  return counts;
}

/** Skips a scalar of a known field by its declared kind; returns the position after it. */
function skipScalar(buf: Uint8Array, pos: number, end: number, kind: number): number {
  switch (kind) {
    case KIND_VARINT32:
      if (pos < end && (buf[pos] as number) < 0x80) return pos + 1;
      uint32(buf, pos, end);
      return cursor;
    case KIND_VARINT64:
      return skipVarint64(buf, pos, end);
    case KIND_FIXED32:
      if (pos + 4 > end) throw outOfRange(pos);
      return pos + 4;
    case KIND_FIXED64:
      if (pos + 8 > end) throw outOfRange(pos);
      return pos + 8;
    default:
      throw new WireError(`unexpected field kind ${kind}`);
  }
}

// Reader.skipType: by wire type, a group to its end-group tag (of any field
// number), nested groups counted against the same depth limit as messages.
function skipUnknown(buf: Uint8Array, pos: number, end: number, wireType: number, depth: number): number {
  if (wireType !== WIRE_START_GROUP) return skipWire(buf, pos, end, wireType);
  let level = 1;
  while (level > 0) {
    const inner = uint32(buf, pos, end) & 7;
    pos = cursor;
    if (inner === WIRE_END_GROUP) {
      level--;
      continue;
    }
    if (depth + level > MAX_MESSAGE_DEPTH) throw new WireError('maximum nesting depth exceeded');
    if (inner === WIRE_START_GROUP) level++;
    else pos = skipWire(buf, pos, end, inner);
  }
  return pos;
}

function skipWire(buf: Uint8Array, pos: number, end: number, wireType: number): number {
  switch (wireType) {
    case WIRE_VARINT:
      do {
        if (pos >= end) throw outOfRange(pos);
      } while ((buf[pos++] as number) & 0x80);
      return pos;
    case WIRE_FIXED64:
      if (pos + 8 > end) throw outOfRange(pos);
      return pos + 8;
    case WIRE_LENGTH: {
      const length = uint32(buf, pos, end);
      if (cursor + length > end) throw outOfRange(cursor);
      return cursor + length;
    }
    case WIRE_FIXED32:
      if (pos + 4 > end) throw outOfRange(pos);
      return pos + 4;
    default:
      throw new WireError(`invalid wire type ${wireType} at offset ${pos}`);
  }
}

// Reader.uint32, quirks included: at most 5 bytes are read, and a fifth byte
// with its high bit set skips 5 more unread; with fewer than 5 bytes left, at
// most 4 are read. Leaves the position after it in `cursor`.
function uint32(buf: Uint8Array, pos: number, end: number): number {
  if (end - pos < 5) {
    let value = 0;
    for (let i = 0; i < 4; i++) {
      if (pos >= end) throw outOfRange(pos);
      const byte = buf[pos++] as number;
      value = (value | ((byte & 0x7f) << (i * 7))) >>> 0;
      if (byte < 0x80) {
        cursor = pos;
        return value;
      }
    }
    throw outOfRange(pos);
  }
  let byte = buf[pos++] as number;
  let value = byte & 0x7f;
  if (byte >= 0x80) {
    byte = buf[pos++] as number;
    value = (value | ((byte & 0x7f) << 7)) >>> 0;
    if (byte >= 0x80) {
      byte = buf[pos++] as number;
      value = (value | ((byte & 0x7f) << 14)) >>> 0;
      if (byte >= 0x80) {
        byte = buf[pos++] as number;
        value = (value | ((byte & 0x7f) << 21)) >>> 0;
        if (byte >= 0x80) {
          byte = buf[pos++] as number;
          value = (value | ((byte & 0x0f) << 28)) >>> 0;
          if (byte >= 0x80) {
            pos += 5;
            if (pos > end) throw outOfRange(end);
          }
        }
      }
    }
  }
  cursor = pos;
  return value;
}

// Reader's 64-bit varint: up to 10 bytes; with 4 or fewer left, at most 4
// bytes, the fourth read whatever it holds (as protobufjs does).
function skipVarint64(buf: Uint8Array, pos: number, end: number): number {
  if (end - pos > 4) {
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw outOfRange(pos);
      if ((buf[pos++] as number) < 0x80) return pos;
    }
    throw new WireError('invalid varint encoding');
  }
  for (let i = 0; i < 3; i++) {
    if (pos >= end) throw outOfRange(pos);
    if ((buf[pos++] as number) < 0x80) return pos;
  }
  return pos + 1;
}

function outOfRange(pos: number): WireError {
  return new WireError(`index out of range at offset ${pos}`);
}

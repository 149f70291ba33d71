import { MalformedRequestError } from './malformed-request-error.ts';
import { emptyWireCounts, INDEX_SHIFT, KIND_BYTES, KIND_MASK, KIND_MESSAGE, MAX_MESSAGE_DEPTH, REPEATED, WEIGHTED } from './wire-schema.ts';
import type { WireCounts, WireSchema } from './wire-schema.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Bytes that end a number or literal token (and whitespace, which JSON allows between tokens). */
const ENDS_TOKEN = new Uint8Array(256);
for (const byte of [COMMA, COLON, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE, 0x20, 0x09, 0x0a, 0x0d]) ENDS_TOKEN[byte] = 1;
const IS_SPACE = new Uint8Array(256);
for (const byte of [0x20, 0x09, 0x0a, 0x0d]) IS_SPACE[byte] = 1;

// Stack frames: a message object (index << 1) or a repeated field's array (code << 1 | 1).
const ARRAY_FRAME = 1;

/**
 * Counts what decoding an OTLP/JSON body would build (JSON.parse, then
 * protobufjs' fromObject), building nothing: one pass over the bytes, outside
 * strings, that follows the schema through object keys, so a well-formed
 * request counts exactly as its protobuf encoding does (the same elements,
 * messages and value depth). What it cannot place (unknown or escaped keys,
 * values of the wrong type) is counted value by value, an upper bound.
 * Only JSON that is certainly invalid (unbalanced brackets, an unterminated
 * string, two top-level values) is refused here, with the message parsing
 * would give; anything else is left to JSON.parse. Messages nested deeper
 * than fromObject goes are refused as it refuses them. Past `maxElements` it
 * stops: the request is refused, and its counts so far say so.
 */
export function scanJson(body: Uint8Array, schema: WireSchema, maxElements = Number.POSITIVE_INFINITY): WireCounts {
  const counts = emptyWireCounts(schema);
  const messages = counts.messages;
  const length = body.length;
  const frames = new Int32Array(2 * MAX_MESSAGE_DEPTH + 4);
  let top = -1;
  let messageDepth = -1;
  let valueDepth = 0;
  let expectKey = false;
  // The field whose value comes next in the current object; 0 when unknown.
  let pending = 0;
  let rootSeen = false;
  let i = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;

  while (i < length) {
    if (counts.elements > maxElements) return counts;
    const c = body[i] as number;
    if (IS_SPACE[c] === 1) {
      i++;
      continue;
    }
    let code: number;
    let item = false;
    if (top < 0) {
      if (rootSeen) throw notJson();
      rootSeen = true;
      code = KIND_MESSAGE | (schema.root << INDEX_SHIFT);
    } else if (((frames[top] as number) & ARRAY_FRAME) === 0) {
      // Inside a message object.
      if (c === CLOSE_OBJECT) {
        if (schema.isValue[(frames[top] as number) >> 1] === 1) valueDepth--;
        top--;
        messageDepth--;
        expectKey = false;
        i++;
        continue;
      }
      if (expectKey) {
        if (c !== QUOTE) throw notJson();
        const end = stringEnd(body, i);
        counts.stringBytes += end - i - 1;
        pending = fieldCode(body, i + 1, end, (frames[top] as number) >> 1, schema);
        expectKey = false;
        i = end + 1;
        continue;
      }
      if (c === COLON) {
        i++;
        continue;
      }
      if (c === COMMA) {
        expectKey = true;
        i++;
        continue;
      }
      code = pending;
    } else {
      // Inside a repeated field's array: every item is an element.
      if (c === CLOSE_ARRAY) {
        top--;
        i++;
        continue;
      }
      if (c === COMMA) {
        i++;
        continue;
      }
      counts.elements++;
      code = (frames[top] as number) >> 1;
      item = true;
    }

    // A value starts at i; `code` says what the schema expects there.
    const kind = code & KIND_MASK;
    const wantsArray = !item && (code & REPEATED) !== 0;
    if (c === OPEN_ARRAY && wantsArray) {
      counts.arrays++;
      frames[++top] = (code << 1) | ARRAY_FRAME;
      i++;
    } else if (c === OPEN_OBJECT && !wantsArray && kind === KIND_MESSAGE) {
      const message = code >>> INDEX_SHIFT;
      if (++messageDepth > MAX_MESSAGE_DEPTH) {
        throw new MalformedRequestError(`request body is not a valid OTLP/JSON ${schema.names[schema.root]}: maximum nesting depth exceeded`);
      }
      messages[message] = (messages[message] as number) + 1;
      if (schema.isValue[message] === 1 && ++valueDepth > counts.maxValueDepth) counts.maxValueDepth = valueDepth;
      frames[++top] = message << 1;
      expectKey = true;
      i++;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      // An item was counted above already; the container counts it again.
      if (item) counts.elements--;
      i = scanUnplaced(body, i, counts, maxElements);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT || c === COMMA || c === COLON) {
      throw notJson();
    } else {
      const placed = code !== 0 && !wantsArray && kind !== KIND_MESSAGE;
      if (!placed) {
        counts.unplacedScalars++;
        if (!item) counts.elements++;
      } else if ((code & WEIGHTED) !== 0) {
        counts.fields[code >>> INDEX_SHIFT] = (counts.fields[code >>> INDEX_SHIFT] as number) + 1;
      }
      if (c === QUOTE) {
        const end = stringEnd(body, i);
        if (placed && kind === KIND_BYTES) counts.bytesBytes += end - i - 1;
        else counts.stringBytes += end - i - 1;
        if (placed && end > i + 1) counts.strings++;
        i = end + 1;
      } else {
        i = tokenEnd(body, i);
      }
    }
  }
  if (top >= 0 && counts.elements <= maxElements) throw notJson();
  return counts;
}

/**
 * Counts one object or array outside the schema, everything in it included
 * (keys count as scalars: an upper bound), and returns where it ends.
 */
function scanUnplaced(body: Uint8Array, start: number, counts: WireCounts, maxElements: number): number {
  const length = body.length;
  let depth = 0;
  let i = start;
  while (i < length) {
    // Refused anyway: the caller sees the count and stops.
    if (counts.elements > maxElements) return length;
    const c = body[i] as number;
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      counts.unplacedContainers++;
      counts.elements++;
      i++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      i++;
      if (--depth === 0) return i;
    } else if (c === QUOTE) {
      const end = stringEnd(body, i);
      counts.stringBytes += end - i - 1;
      counts.unplacedScalars++;
      counts.elements++;
      i = end + 1;
    } else if (IS_SPACE[c] === 1 || c === COMMA || c === COLON) {
      i++;
    } else {
      counts.unplacedScalars++;
      counts.elements++;
      i = tokenEnd(body, i);
    }
  }
  throw notJson();
}

/** Index of the quote closing the string whose opening quote is at `start`. */
function stringEnd(body: Uint8Array, start: number): number {
  const length = body.length;
  let i = start + 1;
  while (i < length) {
    const c = body[i] as number;
    if (c === QUOTE) return i;
    i += c === BACKSLASH ? 2 : 1;
  }
  throw notJson();
}

function tokenEnd(body: Uint8Array, start: number): number {
  let i = start + 1;
  while (i < body.length && ENDS_TOKEN[body[i] as number] === 0) i++;
  return i;
}

/** The code of the field named by body[start, end) in `message`, or 0 when it has none of that exact spelling. */
function fieldCode(body: Uint8Array, start: number, end: number, message: number, schema: WireSchema): number {
  const names = schema.jsonNames[message] as readonly Uint8Array[];
  const size = end - start;
  for (let f = 0; f < names.length; f++) {
    const name = names[f] as Uint8Array;
    if (name.length !== size) continue;
    let same = true;
    for (let k = 0; k < size; k++) {
      if (name[k] !== body[start + k]) {
        same = false;
        break;
      }
    }
    if (same) return (schema.jsonCodes[message] as Int32Array)[f] as number;
  }
  return 0;
}

function notJson(): MalformedRequestError {
  // The same words as the parser's refusal: the scan only finds it sooner.
  return new MalformedRequestError('request body is not valid JSON');
}

// Mutations of valid requests, as data so that fast-check can shrink them:
// byte-level ones (bit flips, truncation, splices, length prefixes blown up)
// for protobuf, and value- and text-level ones for OTLP/JSON (wrong types,
// numbers as strings, huge integers, deep nesting, invalid UTF-8, a BOM).
import fc from 'fast-check';
import { RawJson, jsonText } from './otlp-json-text.ts';
import { varint } from './trace-request-model.ts';

// ---------------------------------------------------------------------------
// Bytes

export type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'move'; from: number; length: number; to: number }
  /** Rewrites the n-th length prefix found in the message tree: absolute, relative, or as a varint that never ends. */
  | { op: 'length'; which: number; value: { absolute: bigint } | { delta: number } | 'unterminated' };

const position = fc.nat();

export const byteMutationArbitrary: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: position, value: fc.constantFrom(0x00, 0xff, 0x80, 0x7f, 0x0a, 0x12, 0x08) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('move' as const), from: position, length: fc.integer({ min: 1, max: 32 }), to: position }),
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('length' as const),
      which: position,
      value: fc.oneof(
        fc.constantFrom(0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 35n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n).map((absolute) => ({ absolute })),
        fc.integer({ min: -3, max: 3 }).map((delta) => ({ delta })),
        fc.constant('unterminated' as const),
      ),
    }),
  },
);

/** Applies mutations in order; positions wrap around the current length. */
export function mutateBytes(original: Buffer, mutations: readonly ByteMutation[]): Buffer {
  let bytes: Buffer = Buffer.from(original);
  for (const mutation of mutations) bytes = mutateOnce(bytes, mutation);
  return bytes;
}

function mutateOnce(bytes: Buffer, m: ByteMutation): Buffer {
  const at = (n: number, extra = 0): number => n % (bytes.length + extra);
  switch (m.op) {
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const i = at(m.at);
      const out = Buffer.from(bytes);
      out[i] = (out[i] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (bytes.length === 0) return bytes;
      const out = Buffer.from(bytes);
      out[at(m.at)] = m.value;
      return out;
    }
    case 'truncate':
      return bytes.subarray(0, at(m.at, 1));
    case 'delete': {
      const i = at(m.at, 1);
      return Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + m.length)]);
    }
    case 'insert': {
      const i = at(m.at, 1);
      return Buffer.concat([bytes.subarray(0, i), m.bytes, bytes.subarray(i)]);
    }
    case 'duplicate': {
      const i = at(m.at, 1);
      const piece = bytes.subarray(i, i + m.length);
      return Buffer.concat([bytes.subarray(0, i + piece.length), piece, bytes.subarray(i + piece.length)]);
    }
    case 'move': {
      const from = at(m.from, 1);
      const piece = bytes.subarray(from, from + m.length);
      const rest = Buffer.concat([bytes.subarray(0, from), bytes.subarray(from + piece.length)]);
      const to = m.to % (rest.length + 1);
      return Buffer.concat([rest.subarray(0, to), piece, rest.subarray(to)]);
    }
    case 'length': {
      const prefixes = lengthPrefixes(bytes);
      const prefix = prefixes[m.which % Math.max(prefixes.length, 1)];
      if (prefix === undefined) return bytes;
      let replacement: Buffer;
      if (m.value === 'unterminated') replacement = Buffer.alloc(11, 0xff);
      else if ('absolute' in m.value) replacement = varint(m.value.absolute);
      else replacement = varint(BigInt(Math.max(0, prefix.value + m.value.delta)));
      return Buffer.concat([bytes.subarray(0, prefix.at), replacement, bytes.subarray(prefix.at + prefix.size)]);
    }
  }
}

export interface LengthPrefix {
  /** Offset of the length varint. */
  at: number;
  /** Its size in bytes. */
  size: number;
  value: number;
}

/**
 * The length prefixes of every length-delimited field, descending into each
 * payload that parses as a message itself (strings and bytes that happen not
 * to are left alone).
 */
export function lengthPrefixes(bytes: Buffer): LengthPrefix[] {
  const found: LengthPrefix[] = [];
  scanMessage(bytes, 0, bytes.length, found, 0);
  return found;
}

function scanMessage(bytes: Buffer, start: number, end: number, found: LengthPrefix[], depth: number): boolean {
  let pos = start;
  while (pos < end) {
    const tag = readVarint(bytes, pos, end);
    if (tag === null || tag.value < 8) return false;
    pos += tag.size;
    switch (tag.value & 7) {
      case 0: {
        const value = readVarint(bytes, pos, end);
        if (value === null) return false;
        pos += value.size;
        break;
      }
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const length = readVarint(bytes, pos, end);
        if (length === null || pos + length.size + length.value > end) return false;
        found.push({ at: pos, size: length.size, value: length.value });
        const payload = pos + length.size;
        const mark = found.length;
        if (depth < 32 && length.value > 0 && !scanMessage(bytes, payload, payload + length.value, found, depth + 1)) found.length = mark;
        pos = payload + length.value;
        break;
      }
      default:
        return false;
    }
  }
  return pos === end;
}

function readVarint(bytes: Buffer, pos: number, end: number): { value: number; size: number } | null {
  let value = 0;
  for (let i = 0; i < 5 && pos + i < end; i++) {
    const byte = bytes[pos + i] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { value, size: i + 1 };
  }
  return null;
}

// ---------------------------------------------------------------------------
// OTLP/JSON values and text

/** Values that do not belong where they are put: wrong types, numbers as strings, huge integers, array-likes, deep nesting. */
export const strayJsonValueArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  fc.constantFrom(null, true, false, 0, -1, 1.5, '', '0', '-1', 'NaN', 'Infinity', '-Infinity', '1e3', ' 1', '0x10', '-0', 'SPAN_KIND_SERVER', 'STATUS_CODE_ERROR', 'BOGUS', 'AAAA', '!!'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => n.toString()),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => new RawJson(n.toString())),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '18446744073709551616', '-9223372036854775809', '1.0', '1E2', '-0', '0.0000001').map((text) => new RawJson(text)),
  fc.double().map((d) => (Number.isFinite(d) ? d : String(d))),
  fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 20 }),
  fc.array(fc.constantFrom(256, 0, 'x', null), { minLength: 8, maxLength: 16 }),
  fc.record({ length: fc.oneof(fc.constantFrom(0, 8, 16, -1, 1.5), fc.integer({ min: 0, max: 1 << 20 })) }),
  fc.record({ low: fc.integer(), high: fc.integer(), unsigned: fc.boolean() }),
  fc.integer({ min: 1, max: 5000 }).map((depth) => new RawJson('['.repeat(depth) + ']'.repeat(depth))),
  fc.integer({ min: 1, max: 5000 }).map((depth) => new RawJson('{"a":'.repeat(depth) + '{}' + '}'.repeat(depth))),
  fc.integer({ min: 90, max: 140 }).map((depth) => deepAnyValue(depth)),
);

/** An AnyValue nested `depth` arrays deep, valid OTLP/JSON around a string. */
export function deepAnyValue(depth: number): unknown {
  let value: unknown = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

const OTLP_KEYS = [
  'resourceSpans', 'scopeSpans', 'spans', 'resource', 'scope', 'attributes', 'key', 'value', 'traceId', 'spanId', 'parentSpanId',
  'startTimeUnixNano', 'endTimeUnixNano', 'kind', 'status', 'code', 'events', 'links', 'flags', 'stringValue', 'intValue',
  'doubleValue', 'bytesValue', 'arrayValue', 'kvlistValue', 'values', 'length', '__proto__', 'constructor', 'toJSON',
];

export type JsonMutation =
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: unknown };

export const jsonMutationArbitrary: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: position, value: strayJsonValueArbitrary }) },
  fc.record({ op: fc.constant('delete' as const), at: position }),
  fc.record({ op: fc.constant('add' as const), at: position, key: fc.oneof(fc.constantFrom(...OTLP_KEYS), fc.string({ maxLength: 6 })), value: strayJsonValueArbitrary }),
);

/** Applies mutations to a copy of an OTLP/JSON value (RawJson leaves are kept as they are). */
export function mutateJsonValue(original: unknown, mutations: readonly JsonMutation[]): unknown {
  const root = { root: copyJson(original) };
  for (const mutation of mutations) {
    const places = placesIn(root);
    const place = places[mutation.at % places.length];
    if (place === undefined) continue;
    const [container, key] = place;
    if (mutation.op === 'replace') {
      (container as Record<string | number, unknown>)[key] = copyJson(mutation.value);
    } else if (mutation.op === 'delete') {
      if (container === root) continue;
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete (container as Record<string, unknown>)[key];
    } else {
      const target = (container as Record<string | number, unknown>)[key];
      if (typeof target === 'object' && target !== null && !Array.isArray(target) && !(target instanceof RawJson)) {
        defineKey(target, mutation.key, copyJson(mutation.value));
      }
    }
  }
  return root.root;
}

function copyJson(value: unknown): unknown {
  if (value instanceof RawJson || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) defineKey(out, key, copyJson(inner));
  return out;
}

/** obj[key] = value, as an own property even for "__proto__" (as JSON.parse makes it). */
function defineKey(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Every (container, key) holding a value, in a stable order. */
function placesIn(root: object): Array<[object, string | number]> {
  const places: Array<[object, string | number]> = [];
  const walk = (container: object): void => {
    const entries: Array<[string | number, unknown]> = Array.isArray(container) ? container.map((v, i) => [i, v]) : Object.entries(container);
    for (const [key, value] of entries) {
      places.push([container, key]);
      if (typeof value === 'object' && value !== null && !(value instanceof RawJson)) walk(value);
    }
  };
  walk(root);
  return places;
}

export type TextMutation =
  | { op: 'bom' }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'flip'; at: number; bit: number };

const INVALID_UTF8 = [[0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xef, 0xbb, 0xbf], [0x00]];

export const textMutationArbitrary: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.constant({ op: 'bom' as const }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.constantFrom(...INVALID_UTF8).map((b) => Uint8Array.from(b)) }) },
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
);

/** JSON text of the value, then byte-level mutations (an insert into a string's middle makes invalid UTF-8 inside it). */
export function mutatedJsonBody(value: unknown, textMutations: readonly TextMutation[]): Buffer {
  let bytes: Buffer = Buffer.from(jsonText(value), 'utf8');
  for (const m of textMutations) {
    if (m.op === 'bom') bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    else if (m.op === 'truncate') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
    else if (m.op === 'insert') {
      const at = m.at % (bytes.length + 1);
      bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    } else if (bytes.length > 0) {
      bytes = Buffer.from(bytes);
      const at = m.at % bytes.length;
      bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
    }
  }
  return bytes;
}

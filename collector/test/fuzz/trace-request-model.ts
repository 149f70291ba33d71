// A model of an ExportTraceServiceRequest with arbitrary spans and attributes,
// its fast-check arbitrary, and two encoders written independently of the
// decoder: the protobuf wire format (by hand, field numbers from
// opentelemetry-proto v1.7.0) and OTLP/JSON (hex IDs, int64 as strings or as
// number literals, enums as numbers or names). Both encodings of one model
// must decode to the same rows.
import fc from 'fast-check';

export type AnyValueModel =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: bigint }
  | { doubleValue: number }
  | { bytesValue: Uint8Array }
  | { arrayValue: AnyValueModel[] }
  | { kvlistValue: KeyValueModel[] }
  | { empty: true };

export interface KeyValueModel {
  key: string;
  /** Null: the KeyValue has no value field at all. */
  value: AnyValueModel | null;
}

export interface EventModel {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValueModel[];
  droppedAttributesCount: number;
}

export interface LinkModel {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: KeyValueModel[];
  droppedAttributesCount: number;
  flags: number;
}

export interface SpanModel {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValueModel[];
  droppedAttributesCount: number;
  events: EventModel[];
  droppedEventsCount: number;
  links: LinkModel[];
  droppedLinksCount: number;
  status: { code: number; message: string } | null;
}

export interface ScopeModel {
  name: string;
  version: string;
  attributes: KeyValueModel[];
  droppedAttributesCount: number;
}

export interface ResourceSpansModel {
  resource: { attributes: KeyValueModel[]; droppedAttributesCount: number } | null;
  schemaUrl: string;
  scopeSpans: Array<{ scope: ScopeModel | null; schemaUrl: string; spans: SpanModel[] }>;
}

export interface TraceRequestModel {
  resourceSpans: ResourceSpansModel[];
}

export function spanCount(model: TraceRequestModel): number {
  return model.resourceSpans.reduce((sum, rs) => sum + rs.scopeSpans.reduce((inner, ss) => inner + ss.spans.length, 0), 0);
}

// ---------------------------------------------------------------------------
// Arbitraries

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT32_MAX = 0xffff_ffff;

/** Strings as exporters send them, and the awkward ones: NUL, lone surrogates, BOM, escapes, astral characters. */
export const textArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  {
    weight: 2,
    arbitrary: fc.string({
      unit: fc.oneof(fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ufeff', '\ufffd', '\\', '"', '\n', '\t', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      maxLength: 6,
    }),
  },
);

const attributeKey = fc.oneof(
  { weight: 3, arbitrary: textArbitrary },
  { weight: 1, arbitrary: fc.constantFrom('service.name', 'http.route', 'http.response.status_code', 'http.status_code') },
);

const int64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n + 1n, 200n, 404n, 999n, 1000n, 99n),
);

function anyValueArbitrary(depth: number): fc.Arbitrary<AnyValueModel> {
  const leaves: Array<fc.Arbitrary<AnyValueModel>> = [
    textArbitrary.map((stringValue) => ({ stringValue })),
    fc.constantFrom('200', '404', '099', '1000', ' 200').map((stringValue) => ({ stringValue })),
    fc.boolean().map((boolValue) => ({ boolValue })),
    int64.map((intValue) => ({ intValue })),
    fc.double().map((doubleValue) => ({ doubleValue })),
    fc.uint8Array({ maxLength: 12 }).map((bytesValue) => ({ bytesValue })),
    fc.constant({ empty: true as const }),
  ];
  if (depth <= 0) return fc.oneof(...leaves);
  const inner = anyValueArbitrary(depth - 1);
  return fc.oneof(
    ...leaves,
    fc.array(inner, { maxLength: 3 }).map((arrayValue) => ({ arrayValue })),
    fc.array(keyValueOf(inner), { maxLength: 3 }).map((kvlistValue) => ({ kvlistValue })),
  );
}

function keyValueOf(value: fc.Arbitrary<AnyValueModel>): fc.Arbitrary<KeyValueModel> {
  return fc.record({ key: attributeKey, value: fc.option(value, { freq: 8, nil: null }) });
}

const attributes = fc.array(keyValueOf(anyValueArbitrary(2)), { maxLength: 4 });
const uint32 = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: UINT32_MAX }));

function idArbitrary(bytes: number): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.uint8Array({ minLength: bytes, maxLength: bytes }) },
    { weight: 1, arbitrary: fc.constant(new Uint8Array(bytes)) }, // all zeros: invalid
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) }, // any length, empty included
  );
}

const parentSpanId = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constant(new Uint8Array(8)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
);

const NOW_NS = 1_780_000_000_000_000_000n;
/** fixed64 nanosecond times: plausible ones, any, and the edges of int64. */
export const timeArbitrary: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 24, arbitrary: fc.bigInt({ min: NOW_NS - 10n ** 17n, max: NOW_NS + 10n ** 17n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: UINT64_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n, INT64_MAX, 2n ** 63n, UINT64_MAX) },
);

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const enumValue = (max: number): fc.Arbitrary<number> =>
  fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max }) }, { weight: 1, arbitrary: int32 }, { weight: 1, arbitrary: fc.constantFrom(32767, 32768, -1) });

const eventArbitrary: fc.Arbitrary<EventModel> = fc.record({ timeUnixNano: timeArbitrary, name: textArbitrary, attributes, droppedAttributesCount: uint32 });
const linkArbitrary: fc.Arbitrary<LinkModel> = fc.record({
  traceId: idArbitrary(16),
  spanId: idArbitrary(8),
  traceState: textArbitrary,
  attributes,
  droppedAttributesCount: uint32,
  flags: uint32,
});

export const spanArbitrary: fc.Arbitrary<SpanModel> = fc.record({
  traceId: idArbitrary(16),
  spanId: idArbitrary(8),
  parentSpanId,
  traceState: textArbitrary,
  flags: uint32,
  name: textArbitrary,
  kind: enumValue(5),
  startTimeUnixNano: timeArbitrary,
  endTimeUnixNano: timeArbitrary,
  attributes,
  droppedAttributesCount: uint32,
  events: fc.array(eventArbitrary, { maxLength: 2 }),
  droppedEventsCount: uint32,
  links: fc.array(linkArbitrary, { maxLength: 2 }),
  droppedLinksCount: uint32,
  status: fc.option(fc.record({ code: enumValue(2), message: textArbitrary }), { nil: null }),
});

const scopeArbitrary: fc.Arbitrary<ScopeModel> = fc.record({ name: textArbitrary, version: textArbitrary, attributes, droppedAttributesCount: uint32 });

export const traceRequestArbitrary: fc.Arbitrary<TraceRequestModel> = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.option(fc.record({ attributes, droppedAttributesCount: uint32 }), { freq: 6, nil: null }),
      schemaUrl: textArbitrary,
      scopeSpans: fc.array(
        fc.record({ scope: fc.option(scopeArbitrary, { freq: 6, nil: null }), schemaUrl: textArbitrary, spans: fc.array(spanArbitrary, { maxLength: 3 }) }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
});

// ---------------------------------------------------------------------------
// Protobuf wire format, written by hand

export interface ProtobufSpelling {
  /** Write fields that hold their default value (proto3 allows it; decoders must accept it). */
  explicitDefaults: boolean;
  /** Put fields no schema has (numbers 50–60, every wire type) into every message; decoders must skip them. */
  unknownFields: boolean;
}

export const protobufSpellingArbitrary: fc.Arbitrary<ProtobufSpelling> = fc.record({ explicitDefaults: fc.boolean(), unknownFields: fc.boolean() });

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export function varint(value: bigint): Buffer {
  let rest = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}

/** One message under construction: fields appended in order. */
class WireMessage {
  readonly #parts: Buffer[] = [];
  readonly #spelling: ProtobufSpelling;

  constructor(spelling: ProtobufSpelling) {
    this.#spelling = spelling;
    if (spelling.unknownFields) {
      this.#tag(51, WIRE_VARINT).#parts.push(varint(2n ** 63n + 5n));
      this.#tag(52, WIRE_FIXED64).#parts.push(Buffer.alloc(8, 0xab));
      this.#tag(53, WIRE_LEN).#parts.push(varint(3n), Buffer.from([0x0a, 0x01, 0x00]));
      this.#tag(54, WIRE_FIXED32).#parts.push(Buffer.alloc(4, 0xcd));
    }
  }

  #tag(field: number, wire: number): this {
    this.#parts.push(varint(BigInt(field * 8 + wire)));
    return this;
  }

  /** A varint field; `always` for oneof members, which are written even when zero. */
  varint(field: number, value: bigint, always = false): this {
    if (value !== 0n || always || this.#spelling.explicitDefaults) this.#tag(field, WIRE_VARINT).#parts.push(varint(value));
    return this;
  }

  fixed64(field: number, value: bigint): this {
    if (value === 0n && !this.#spelling.explicitDefaults) return this;
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64LE(BigInt.asUintN(64, value));
    this.#tag(field, WIRE_FIXED64).#parts.push(bytes);
    return this;
  }

  fixed32(field: number, value: number): this {
    if (value === 0 && !this.#spelling.explicitDefaults) return this;
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value >>> 0);
    this.#tag(field, WIRE_FIXED32).#parts.push(bytes);
    return this;
  }

  double(field: number, value: number): this {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleLE(value);
    this.#tag(field, WIRE_FIXED64).#parts.push(bytes);
    return this;
  }

  /** A length-delimited field; `always` for oneof members and message fields, which are written even when empty. */
  bytes(field: number, value: Uint8Array, always = false): this {
    if (value.length === 0 && !always && !this.#spelling.explicitDefaults) return this;
    this.#tag(field, WIRE_LEN).#parts.push(varint(BigInt(value.length)), Buffer.from(value));
    return this;
  }

  string(field: number, value: string, always = false): this {
    return this.bytes(field, Buffer.from(value, 'utf8'), always);
  }

  message(field: number, value: WireMessage): this {
    return this.bytes(field, value.finish(), true);
  }

  finish(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

function keyValueWire(kv: KeyValueModel, spelling: ProtobufSpelling): WireMessage {
  const message = new WireMessage(spelling).string(1, kv.key);
  if (kv.value !== null) message.message(2, anyValueWire(kv.value, spelling));
  return message;
}

function anyValueWire(value: AnyValueModel, spelling: ProtobufSpelling): WireMessage {
  const message = new WireMessage(spelling);
  if ('stringValue' in value) return message.string(1, value.stringValue, true);
  if ('boolValue' in value) return message.varint(2, value.boolValue ? 1n : 0n, true);
  if ('intValue' in value) return message.varint(3, value.intValue, true);
  if ('doubleValue' in value) return message.double(4, value.doubleValue);
  if ('bytesValue' in value) return message.bytes(7, value.bytesValue, true);
  if ('arrayValue' in value) {
    const array = new WireMessage(spelling);
    for (const item of value.arrayValue) array.message(1, anyValueWire(item, spelling));
    return message.message(5, array);
  }
  if ('kvlistValue' in value) {
    const list = new WireMessage(spelling);
    for (const kv of value.kvlistValue) list.message(1, keyValueWire(kv, spelling));
    return message.message(6, list);
  }
  return message; // no member set
}

function attributesWire(message: WireMessage, field: number, list: readonly KeyValueModel[], spelling: ProtobufSpelling): void {
  for (const kv of list) message.message(field, keyValueWire(kv, spelling));
}

function spanWire(span: SpanModel, spelling: ProtobufSpelling): WireMessage {
  const message = new WireMessage(spelling)
    .bytes(1, span.traceId)
    .bytes(2, span.spanId)
    .string(3, span.traceState)
    .bytes(4, span.parentSpanId)
    .string(5, span.name)
    .varint(6, BigInt(span.kind))
    .fixed64(7, span.startTimeUnixNano)
    .fixed64(8, span.endTimeUnixNano);
  attributesWire(message, 9, span.attributes, spelling);
  message.varint(10, BigInt(span.droppedAttributesCount));
  for (const event of span.events) {
    const wire = new WireMessage(spelling).fixed64(1, event.timeUnixNano).string(2, event.name);
    attributesWire(wire, 3, event.attributes, spelling);
    message.message(11, wire.varint(4, BigInt(event.droppedAttributesCount)));
  }
  message.varint(12, BigInt(span.droppedEventsCount));
  for (const link of span.links) {
    const wire = new WireMessage(spelling).bytes(1, link.traceId).bytes(2, link.spanId).string(3, link.traceState);
    attributesWire(wire, 4, link.attributes, spelling);
    message.message(13, wire.varint(5, BigInt(link.droppedAttributesCount)).fixed32(6, link.flags));
  }
  message.varint(14, BigInt(span.droppedLinksCount));
  if (span.status !== null) message.message(15, new WireMessage(spelling).string(2, span.status.message).varint(3, BigInt(span.status.code)));
  // flags (field 16) last, out of field order, as some encoders write it.
  return message.fixed32(16, span.flags);
}

/** The model as protobuf bytes, encoded without protobufjs. */
export function encodeProtobuf(model: TraceRequestModel, spelling: ProtobufSpelling): Buffer {
  const request = new WireMessage(spelling);
  for (const rs of model.resourceSpans) {
    const resourceSpans = new WireMessage(spelling);
    if (rs.resource !== null) {
      const resource = new WireMessage(spelling);
      attributesWire(resource, 1, rs.resource.attributes, spelling);
      resourceSpans.message(1, resource.varint(2, BigInt(rs.resource.droppedAttributesCount)));
    }
    for (const ss of rs.scopeSpans) {
      const scopeSpans = new WireMessage(spelling);
      if (ss.scope !== null) {
        const scope = new WireMessage(spelling).string(1, ss.scope.name).string(2, ss.scope.version);
        attributesWire(scope, 3, ss.scope.attributes, spelling);
        scopeSpans.message(1, scope.varint(4, BigInt(ss.scope.droppedAttributesCount)));
      }
      for (const span of ss.spans) scopeSpans.message(2, spanWire(span, spelling));
      resourceSpans.message(2, scopeSpans.string(3, ss.schemaUrl));
    }
    request.message(1, resourceSpans.string(3, rs.schemaUrl));
  }
  return request.finish();
}

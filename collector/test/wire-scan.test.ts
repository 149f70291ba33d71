// Covers the request scanners (decode/wire-scan.ts for protobuf,
// decode/json-scan.ts for OTLP/JSON): exact counts on a known request (elements,
// messages, arrays, strings, value depth) in both encodings; the hand-written
// trace, logs and metrics tables matching the .proto files (a weighted packed
// field, a histogram's bucket counts, weighing per value); agreement with what protobufjs
// actually builds on proto/test/fixtures/*.json (logs and metrics through a
// table derived from protobufjs, packed fields included), on the collector's
// fixtures and on random requests; random damage to protobuf making the scan
// fail exactly when protobufjs fails; garbage and damaged JSON never throwing
// anything but MalformedRequestError, and never refusing JSON that parses.
import { readFileSync } from 'node:fs';
import { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest } from '@justanalytics/proto';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import type { Type } from 'protobufjs';
import t from 'tap';
import type { Test } from 'tap';
import { decodeTraceJson } from '../src/signals/traces/decode-trace-request.ts';
import { scanJson } from '../src/decode/json-scan.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { TRACE_SCHEMA_SHAPE, TRACE_WIRE_SCHEMA } from '../src/signals/traces/trace-wire-schema.ts';
import { LOGS_SCHEMA_SHAPE, LOGS_WIRE_SCHEMA } from '../src/signals/logs/logs-wire-schema.ts';
import { METRICS_SCHEMA_SHAPE, METRICS_WIRE_SCHEMA } from '../src/signals/metrics/metrics-wire-schema.ts';
import { scanProtobuf } from '../src/decode/wire-scan.ts';
import { compileWireSchema } from '../src/decode/wire-schema.ts';
import type { MessageShape, ScalarKind, SchemaShape, WireCounts, WireSchema } from '../src/decode/wire-schema.ts';
import { jsonRequest, jsonSpan, PARENT_SPAN_ID_HEX, protobufRequest, SPAN_ID_HEX, TRACE_ID_HEX } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';
import { deepProtobufRequest } from './helpers/wire-bytes.ts';

const SCALAR_KINDS: Readonly<Record<string, ScalarKind>> = {
  string: 'string',
  bytes: 'bytes',
  int32: 'varint32',
  uint32: 'varint32',
  sint32: 'varint32',
  bool: 'varint32',
  int64: 'varint64',
  uint64: 'varint64',
  sint64: 'varint64',
  fixed32: 'fixed32',
  sfixed32: 'fixed32',
  float: 'fixed32',
  fixed64: 'fixed64',
  sfixed64: 'fixed64',
  double: 'fixed64',
};

/** The wire schema of any request type, derived from protobufjs' reflection (short names, no weights). */
function shapeFromProtobufjs(root: Type): SchemaShape {
  const messages: Record<string, MessageShape> = {};
  const visit = (type: Type): void => {
    if (messages[type.name] !== undefined) return;
    const fields: Record<string, MessageShape['fields'][string]> = {};
    messages[type.name] = { bytes: { protobuf: 0, json: 0 }, fields, value: type.name === 'AnyValue' };
    for (const field of type.fieldsArray) {
      field.resolve();
      const repeated = field.repeated;
      if (field.resolvedType instanceof protobuf.Type) {
        fields[field.name] = { number: field.id, message: field.resolvedType.name, repeated };
        visit(field.resolvedType);
      } else {
        const kind = field.resolvedType instanceof protobuf.Enum ? 'varint32' : SCALAR_KINDS[field.type];
        if (kind === undefined) throw new Error(`no kind for ${field.type}`);
        fields[field.name] = { number: field.id, scalar: kind, repeated };
      }
    }
  };
  visit(root);
  return { root: root.name, messages };
}

interface Built {
  elements: number;
  arrays: number;
  strings: number;
  stringBytes: number;
  bytesBytes: number;
  maxValueDepth: number;
  messages: Record<string, number>;
}

/** What protobufjs actually built: counted on a decoded (or fromObject) message, through reflection. */
function countBuilt(message: Record<string, unknown>, type: Type): Built {
  const built: Built = { elements: 0, arrays: 0, strings: 0, stringBytes: 0, bytesBytes: 0, maxValueDepth: 0, messages: {} };
  const scalar = (kind: string, value: unknown): void => {
    if (kind === 'string' && typeof value === 'string' && value.length > 0) {
      built.strings++;
      built.stringBytes += Buffer.byteLength(value);
    } else if (kind === 'bytes' && value instanceof Uint8Array && value.length > 0) {
      built.strings++;
      built.bytesBytes += value.length;
    }
  };
  const visit = (node: Record<string, unknown>, nodeType: Type, valueDepth: number): void => {
    built.messages[nodeType.name] = (built.messages[nodeType.name] ?? 0) + 1;
    const depth = nodeType.name === 'AnyValue' ? valueDepth + 1 : valueDepth;
    built.maxValueDepth = Math.max(built.maxValueDepth, depth);
    for (const field of nodeType.fieldsArray) {
      field.resolve();
      const child = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
      const value = node[field.name];
      if (field.repeated) {
        const items = value as unknown[];
        if (items.length > 0) built.arrays++;
        built.elements += items.length;
        for (const item of items) {
          if (child !== null) visit(item as Record<string, unknown>, child, depth);
          else scalar(field.type, item);
        }
      } else if (Object.hasOwn(node, field.name) && value !== null && value !== undefined) {
        if (child !== null) visit(value as Record<string, unknown>, child, depth);
        else scalar(field.type, value);
      }
    }
  };
  visit(message, type, 0);
  return built;
}

function messagesByName(counts: WireCounts, schema: WireSchema): Record<string, number> {
  const out: Record<string, number> = {};
  schema.names.forEach((name, index) => {
    const count = counts.messages[index] as number;
    if (count > 0) out[name] = count;
  });
  return out;
}

const structure = (counts: WireCounts, schema: WireSchema) => ({
  elements: counts.elements,
  maxValueDepth: counts.maxValueDepth,
  messages: messagesByName(counts, schema),
});

/** Every count a protobuf scan shares with what protobufjs built from a well-formed body. */
function protobufCounts(counts: WireCounts, schema: WireSchema): Built {
  return { ...structure(counts, schema), arrays: counts.arrays, strings: counts.strings, stringBytes: counts.stringBytes, bytesBytes: counts.bytesBytes };
}

const traceShape = shapeFromProtobufjs(ExportTraceServiceRequest);
const traceSchema = compileWireSchema(traceShape);
const logsSchema = compileWireSchema(shapeFromProtobufjs(ExportLogsServiceRequest));
const metricsSchema = compileWireSchema(shapeFromProtobufjs(ExportMetricsServiceRequest));

t.test('the trace, logs and metrics tables have the field numbers and types of the .proto files', async (t) => {
  const withoutWeights = (shape: SchemaShape) =>
    Object.fromEntries(
      Object.entries(shape.messages).map(([name, message]) => [
        name,
        {
          value: message.value === true,
          fields: Object.fromEntries(
            Object.entries(message.fields).map(([field, { number, repeated, ...type }]) => [
              field,
              { number, repeated: repeated === true, type: 'message' in type ? type.message : type.scalar },
            ]),
          ),
        },
      ]),
    );
  t.equal(TRACE_SCHEMA_SHAPE.root, traceShape.root);
  t.same(withoutWeights(TRACE_SCHEMA_SHAPE), withoutWeights(traceShape));
  const logsShape = shapeFromProtobufjs(ExportLogsServiceRequest);
  t.equal(LOGS_SCHEMA_SHAPE.root, logsShape.root);
  t.same(withoutWeights(LOGS_SCHEMA_SHAPE), withoutWeights(logsShape));
  const metricsShape = shapeFromProtobufjs(ExportMetricsServiceRequest);
  t.equal(METRICS_SCHEMA_SHAPE.root, metricsShape.root);
  t.same(withoutWeights(METRICS_SCHEMA_SHAPE), withoutWeights(metricsShape));
});

// One resource attribute; two span attributes, the second an array holding a
// kvlist; an event with a value-less attribute; a link.
const knownRequest = jsonRequest([
  jsonSpan({
    parentSpanId: PARENT_SPAN_ID_HEX,
    attributes: [
      { key: 'a', value: { stringValue: 'xy' } },
      { key: 'b', value: { arrayValue: { values: [{ intValue: '1' }, { kvlistValue: { values: [{ key: 'c', value: { boolValue: true } }] } }] } } },
    ],
    events: [{ timeUnixNano: '1', name: 'e', attributes: [{ key: 'd' }] }],
    links: [{ traceId: TRACE_ID_HEX, spanId: SPAN_ID_HEX }],
  }),
]);

t.test('exact counts of a known request, in both encodings', async (t) => {
  const expected = {
    // resourceSpans, scopeSpans, span; resource attribute; 2 span attributes, 2 array items, 1 kvlist entry; event and its attribute; link.
    elements: 12,
    maxValueDepth: 3,
    messages: {
      ExportTraceServiceRequest: 1,
      ResourceSpans: 1,
      Resource: 1,
      ScopeSpans: 1,
      InstrumentationScope: 1,
      Span: 1,
      KeyValue: 5,
      AnyValue: 6,
      ArrayValue: 1,
      KeyValueList: 1,
      Event: 1,
      Link: 1,
    },
  };
  const body = protobufRequest(knownRequest);
  const counts = scanProtobuf(body, TRACE_WIRE_SCHEMA);
  t.same(structure(counts, TRACE_WIRE_SCHEMA), expected, 'protobuf');
  // Arrays: resourceSpans, resource attributes, scopeSpans, spans, span attributes, array values, kvlist values, events, event attributes, links.
  t.equal(counts.arrays, 10, 'protobuf arrays');
  // Strings: service.name and checkout, scope name and version, trace, span and parent IDs, span name, a, xy, b, c, event name e, d, link IDs.
  t.equal(counts.strings, 16, 'protobuf strings');
  t.equal(counts.bytesBytes, 16 + 8 + 8 + 16 + 8, 'protobuf bytes: the IDs');
  t.equal(counts.stringBytes, 'service.name'.length + 'checkout'.length + 'test-scope'.length + '1.0.0'.length + 'GET /users/:id'.length + 'axybced'.length);
  t.same(protobufCounts(counts, TRACE_WIRE_SCHEMA), countBuilt(ExportTraceServiceRequest.decode(body) as never, ExportTraceServiceRequest), 'protobuf: as protobufjs built it');

  const json = scanJson(Buffer.from(JSON.stringify(knownRequest)), TRACE_WIRE_SCHEMA);
  t.same(structure(json, TRACE_WIRE_SCHEMA), expected, 'json');
  t.equal(json.arrays, 10, 'json arrays');
  t.equal(json.unplacedContainers + json.unplacedScalars, 0, 'json: everything placed');
  t.equal(json.bytesBytes, 2 * (16 + 8 + 8 + 16 + 8), 'json bytes: the IDs in hex');
});

function nestedArrays(depth: number): JsonObject {
  let value: JsonObject = { stringValue: 'bottom' };
  for (let i = 1; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

t.test('past maxElements the scan stops, its count one over the limit', async (t) => {
  const body = protobufRequest(knownRequest);
  const json = Buffer.from(JSON.stringify(knownRequest));
  for (const max of [0, 5, 11]) {
    t.equal(scanProtobuf(body, TRACE_WIRE_SCHEMA, max).elements, max + 1, `protobuf, ${max}`);
    t.equal(scanJson(json, TRACE_WIRE_SCHEMA, max).elements, max + 1, `json, ${max}`);
  }
  t.equal(scanProtobuf(body, TRACE_WIRE_SCHEMA, 12).elements, 12, 'protobuf, at the limit: all counted');
  t.equal(scanJson(json, TRACE_WIRE_SCHEMA, 12).elements, 12, 'json, at the limit: all counted');
  const junk = Buffer.from(`{"junk":[${'1,'.repeat(100)}1]}`);
  t.equal(scanJson(junk, TRACE_WIRE_SCHEMA, 10).elements, 11, 'json, in values it cannot place too');
});

t.test('value depth, and messages nested deeper than protobufjs decodes', async (t) => {
  for (const depth of [1, 2, 10, 48]) {
    const request = jsonRequest([jsonSpan({ attributes: [{ key: 'deep', value: nestedArrays(depth) }] })]);
    t.equal(scanProtobuf(protobufRequest(request), TRACE_WIRE_SCHEMA).maxValueDepth, depth, `protobuf, ${depth}`);
    t.equal(scanJson(Buffer.from(JSON.stringify(request)), TRACE_WIRE_SCHEMA).maxValueDepth, depth, `json, ${depth}`);
  }
  t.equal(scanProtobuf(protobufRequest(jsonRequest([jsonSpan()], [])), TRACE_WIRE_SCHEMA).maxValueDepth, 0, 'no value at all');

  // A span attribute's value is message 5 (counting the request as 0) and each array level adds two.
  t.equal(scanProtobuf(deepProtobufRequest(48), TRACE_WIRE_SCHEMA).maxValueDepth, 48, 'the deepest protobufjs decodes');
  t.doesNotThrow(() => ExportTraceServiceRequest.decode(deepProtobufRequest(48)));
  t.throws(() => scanProtobuf(deepProtobufRequest(49), TRACE_WIRE_SCHEMA), { name: 'MalformedRequestError', message: /maximum nesting depth exceeded/ });
  t.throws(() => ExportTraceServiceRequest.decode(deepProtobufRequest(49)), /maximum nesting depth/, 'as protobufjs refuses it');
  const deepest = jsonRequest([jsonSpan({ attributes: [{ key: 'deep', value: nestedArrays(49) }] })]);
  t.throws(() => scanJson(Buffer.from(JSON.stringify(deepest)), TRACE_WIRE_SCHEMA), { name: 'MalformedRequestError', message: /maximum nesting depth exceeded/ });
  t.throws(() => decodeTraceJson(Buffer.from(JSON.stringify(deepest))), /maximum nesting depth/, 'as fromObject refuses it');

  // Unknown JSON nests as deep as it likes: JSON.parse builds it, and so it is counted, not refused.
  const unknown = `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  const counts = scanJson(Buffer.from(unknown), TRACE_WIRE_SCHEMA);
  t.equal(counts.unplacedContainers, 100_000);
  t.equal(counts.elements, 100_000);
});

t.test('agrees with protobufjs on proto/test/fixtures', async (t) => {
  const fixtures: [string, Type, WireSchema][] = [
    ['traces', ExportTraceServiceRequest, traceSchema],
    ['logs', ExportLogsServiceRequest, logsSchema],
    ['metrics', ExportMetricsServiceRequest, metricsSchema],
  ];
  for (const [name, type, schema] of fixtures) {
    const object = JSON.parse(readFileSync(new URL(`../../proto/test/fixtures/${name}.json`, import.meta.url), 'utf8')) as JsonObject;
    const message = type.fromObject(object);
    const body = Buffer.from(type.encode(message).finish());
    const built = countBuilt(type.decode(body) as never, type);
    t.ok(built.elements > 10, `${name}: a fixture with elements (${built.elements})`);
    t.same(protobufCounts(scanProtobuf(body, schema), schema), built, `${name}: protobuf`);
    const json = scanJson(Buffer.from(JSON.stringify(object)), schema);
    t.same(structure(json, schema), structure(scanProtobuf(body, schema), schema), `${name}: OTLP/JSON`);
    t.equal(json.unplacedContainers + json.unplacedScalars, 0, `${name}: OTLP/JSON, everything placed`);
    const handWritten = name === 'traces' ? TRACE_WIRE_SCHEMA : name === 'logs' ? LOGS_WIRE_SCHEMA : METRICS_WIRE_SCHEMA;
    const counts = scanProtobuf(body, handWritten);
    t.same(protobufCounts(counts, handWritten), built, `${name}: through the hand-written table`);
    t.same(structure(scanJson(Buffer.from(JSON.stringify(object)), handWritten), handWritten), structure(counts, handWritten));
  }
  const metricsBody = Buffer.from(ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(JSON.parse(
    readFileSync(new URL('../../proto/test/fixtures/metrics.json', import.meta.url), 'utf8'),
  ) as JsonObject)).finish());
  t.ok(scanProtobuf(metricsBody, metricsSchema).elements > countBuilt(ExportMetricsServiceRequest.decode(metricsBody) as never, ExportMetricsServiceRequest).arrays, 'metrics: packed values counted one by one');
});

t.test('a weighted packed field weighs per value, as the same values unpacked or in OTLP/JSON', async (t) => {
  const point = { timeUnixNano: '1', bucketCounts: ['1', '2', '3', '4'], explicitBounds: [1, 2, 3] };
  const request = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', histogram: { dataPoints: [point, point] } }] }] }] };
  // protobufjs writes repeated fixed64 packed: one run of four values per point.
  const body = Buffer.from(ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(request)).finish());
  const slot = (counts: WireCounts) => Array.from(counts.fields).reduce((sum, count) => sum + count, 0);
  const fields = (counts: WireCounts) => Array.from(counts.fields);
  const packed = scanProtobuf(body, METRICS_WIRE_SCHEMA);
  const json = scanJson(Buffer.from(JSON.stringify(request)), METRICS_WIRE_SCHEMA);
  t.same(fields(packed), fields(json), 'the same weighted fields counted');
  // Of these fields only the bucket counts carry a weight of their own.
  t.equal(slot(packed), 8, 'eight bucket counts');
  t.equal(slot(json), 8);
});

t.test('agrees with protobufjs on the collector fixtures', async (t) => {
  const requests: [string, JsonObject][] = [
    ['one span', jsonRequest([jsonSpan()])],
    ['no resource attributes', jsonRequest([jsonSpan(), jsonSpan({ name: 'second' })], [])],
    ['the known request', knownRequest],
    ['10,000 attributes', jsonRequest([jsonSpan({ attributes: Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: { intValue: String(i) } })) })])],
    ['an empty request', {}],
  ];
  for (const [what, request] of requests) {
    const body = protobufRequest(request);
    const counts = scanProtobuf(body, TRACE_WIRE_SCHEMA);
    t.same(protobufCounts(counts, TRACE_WIRE_SCHEMA), countBuilt(ExportTraceServiceRequest.decode(body) as never, ExportTraceServiceRequest), `${what}: protobuf`);
    const json = Buffer.from(JSON.stringify(request));
    t.same(structure(scanJson(json, TRACE_WIRE_SCHEMA), TRACE_WIRE_SCHEMA), structure(countsOfJsonDecode(json), TRACE_WIRE_SCHEMA), `${what}: OTLP/JSON`);
  }
});

/** What decoding OTLP/JSON built, in the scanner's terms. */
function countsOfJsonDecode(json: Buffer): WireCounts {
  const built = countBuilt(decodeTraceJson(json) as never, ExportTraceServiceRequest);
  const messages = new Float64Array(TRACE_WIRE_SCHEMA.names.length);
  for (const [name, count] of Object.entries(built.messages)) messages[TRACE_WIRE_SCHEMA.names.indexOf(name)] = count;
  return { ...built, messages, fields: new Float64Array(0), unplacedContainers: 0, unplacedScalars: 0 };
}

// Random requests: every AnyValue kind, nested a few levels, keys and strings
// of any Unicode, events, links, several resources and scopes.
const text = fc.string({ unit: 'grapheme', maxLength: 6 });
const anyValue: fc.Arbitrary<JsonObject> = fc.letrec<{ value: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: text }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ intValue: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) }),
    fc.record({ doubleValue: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    fc.record({ bytesValue: fc.uint8Array({ maxLength: 4 }).map((bytes) => Buffer.from(bytes).toString('base64')) }),
    fc.constant({}),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('value'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: text, value: tie('value') }), { maxLength: 3 }) }) }),
  ),
})).value;
const attributes = fc.array(fc.record({ key: text, value: anyValue }, { requiredKeys: ['key'] }), { maxLength: 4 });
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((id) => Buffer.from(id).toString('hex'));
const span = fc.record({
  traceId: hex(16),
  spanId: hex(8),
  name: text,
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  attributes,
  events: fc.array(fc.record({ timeUnixNano: fc.constant('1'), name: text, attributes }), { maxLength: 2 }),
  links: fc.array(fc.record({ traceId: hex(16), spanId: hex(8), attributes }), { maxLength: 2 }),
  status: fc.option(fc.record({ code: fc.integer({ min: 0, max: 2 }), message: text }), { nil: undefined }),
});
const traceRequest: fc.Arbitrary<JsonObject> = fc.record({
  resourceSpans: fc.array(
    fc.record({
      resource: fc.record({ attributes }),
      scopeSpans: fc.array(fc.record({ scope: fc.record({ name: text, attributes }), spans: fc.array(span, { maxLength: 3 }) }), { maxLength: 2 }),
      schemaUrl: text,
    }),
    { maxLength: 2 },
  ),
});

t.test('agrees with protobufjs on random requests', async (t) => {
  fc.assert(
    fc.property(traceRequest, (request) => {
      const body = protobufRequest(request);
      const built = countBuilt(ExportTraceServiceRequest.decode(body) as never, ExportTraceServiceRequest);
      t.same(protobufCounts(scanProtobuf(body, TRACE_WIRE_SCHEMA), TRACE_WIRE_SCHEMA), built);
      const json = Buffer.from(JSON.stringify(request));
      t.same(structure(scanJson(json, TRACE_WIRE_SCHEMA), TRACE_WIRE_SCHEMA), structure(countsOfJsonDecode(json), TRACE_WIRE_SCHEMA));
    }),
    { numRuns: 200 },
  );
});

type Outcome = { counts: Omit<Built, 'stringBytes'> } | { error: string };

function scanOutcome(body: Buffer): Outcome {
  try {
    const { stringBytes: _, ...counts } = protobufCounts(scanProtobuf(body, TRACE_WIRE_SCHEMA), TRACE_WIRE_SCHEMA);
    return { counts };
  } catch (error) {
    if (!(error instanceof MalformedRequestError)) throw error;
    return { error: 'malformed' };
  }
}

function protobufjsOutcome(body: Buffer): Outcome {
  let decoded: unknown;
  try {
    decoded = ExportTraceServiceRequest.decode(body);
  } catch {
    return { error: 'malformed' };
  }
  // Invalid UTF-8 decodes to other byte counts: strings' lengths are compared on clean bodies only.
  const { stringBytes: _, ...counts } = countBuilt(decoded as never, ExportTraceServiceRequest);
  return { counts };
}

const damage = fc.array(
  fc.oneof(
    fc.record({ flip: fc.nat(), to: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ cut: fc.nat() }),
    fc.record({ insert: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

function damaged(body: Buffer, steps: readonly ({ flip: number; to: number } | { cut: number } | { insert: number; bytes: Uint8Array })[]): Buffer {
  let out = Buffer.from(body);
  for (const step of steps) {
    if (out.length === 0) break;
    if ('flip' in step) out[step.flip % out.length] = step.to;
    else if ('cut' in step) out = out.subarray(0, step.cut % out.length);
    else out = Buffer.concat([out.subarray(0, step.insert % out.length), step.bytes, out.subarray(step.insert % out.length)]);
  }
  return out;
}

/**
 * Damage can repeat a field that is not repeated: protobufjs builds each
 * occurrence and keeps the last, so the scan counts at least what is kept.
 */
function atLeast(t: Test, scanned: Outcome, built: Outcome): void {
  if ('error' in built || 'error' in scanned) {
    t.same(scanned, built, 'fails exactly when protobufjs fails');
    return;
  }
  const shortfalls = Object.entries(built.counts).flatMap(([name, value]) => {
    if (typeof value === 'number') return (scanned.counts[name as keyof typeof scanned.counts] as number) >= value ? [] : [name];
    return Object.entries(value).filter(([message, count]) => (scanned.counts.messages[message] ?? 0) < count).map(([message]) => message);
  });
  t.same(shortfalls, [], 'counts at least what protobufjs built');
}

t.test('damaged protobuf: the scan fails exactly when protobufjs fails, and counts at least what it builds otherwise', async (t) => {
  let failures = 0;
  fc.assert(
    fc.property(traceRequest, damage, (request, steps) => {
      const body = damaged(protobufRequest(request), steps);
      const expected = protobufjsOutcome(body);
      if ('error' in expected) failures++;
      atLeast(t, scanOutcome(body), expected);
    }),
    { numRuns: 500 },
  );
  t.ok(failures > 50, `damage made protobufjs fail (${failures} of 500)`);
});

t.test('garbage protobuf throws nothing but MalformedRequestError', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const body = Buffer.from(bytes);
      atLeast(t, scanOutcome(body), protobufjsOutcome(body));
    }),
    { numRuns: 500 },
  );
  for (const body of [Buffer.from([0x0f]), Buffer.from([0x0a, 0xff]), Buffer.from([0x0b, 0x0b, 0x0b]), Buffer.alloc(11, 0xff), Buffer.from('{"resourceSpans":[]}')]) {
    atLeast(t, scanOutcome(body), protobufjsOutcome(body));
  }
  // A group nested deeper than protobufjs recurses (it refuses it too).
  const groups = Buffer.concat([Buffer.alloc(150, 0x1b), Buffer.alloc(150, 0x1c)]);
  t.same(scanOutcome(groups), { error: 'malformed' });
  t.same(protobufjsOutcome(groups), { error: 'malformed' });
});

function jsonOutcome(text: string): 'malformed' | 'ok' {
  try {
    scanJson(Buffer.from(text), TRACE_WIRE_SCHEMA);
    return 'ok';
  } catch (error) {
    if (!(error instanceof MalformedRequestError)) throw error;
    return 'malformed';
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

t.test('garbage and damaged JSON: only MalformedRequestError, never for JSON that parses, and never fewer elements than decoding builds', async (t) => {
  const damagedText = fc.tuple(traceRequest, fc.array(fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '1', ' ', '')), { maxLength: 4 }));
  fc.assert(
    fc.property(damagedText, ([request, edits]) => {
      let text = JSON.stringify(request);
      for (const [at, insert] of edits) {
        const i = at % (text.length + 1);
        text = insert === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + insert + text.slice(i);
      }
      const outcome = jsonOutcome(text);
      // The text goes in the diagnostics, not the message: it may hold TAP directives.
      if (outcome === 'malformed') t.notOk(parses(text), 'refused only when JSON.parse refuses too', { text });
      if (outcome === 'ok' && parses(text)) {
        let built: WireCounts | null = null;
        try {
          built = countsOfJsonDecode(Buffer.from(text));
        } catch (error) {
          t.type(error, MalformedRequestError);
        }
        if (built !== null) t.ok(scanJson(Buffer.from(text), TRACE_WIRE_SCHEMA).elements >= built.elements, 'an upper bound of the elements');
      }
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes).toString('latin1'))), (garbage) => {
      if (jsonOutcome(garbage) === 'malformed') t.notOk(parses(garbage));
    }),
    { numRuns: 500 },
  );
  // Certainly not JSON: refused by the scan already. The scan may let other
  // invalid text through (the empty body, say), for JSON.parse to refuse.
  for (const text of ['{', '}', '{"a":"', '[]]', '{} {}', '"\\"', '{"resourceSpans":[}', '{"resourceSpans":[{]}']) {
    t.equal(jsonOutcome(text), 'malformed', JSON.stringify(text));
  }
  for (const text of ['\uFEFF{}', '  {"resourceSpans": []}  ', '[]', '42', 'null', '"a\\"b"', '{"x":"\\\\"}']) {
    t.equal(jsonOutcome(text), 'ok', JSON.stringify(text));
  }
});

t.test('JSON the schema cannot place is counted value by value', async (t) => {
  const counts = scanJson(Buffer.from('{"resourceSpans": [], "junk": {"a": [1, 2, {"b": "c"}]}, "\\u0072esourceSpans": [{}]}'), TRACE_WIRE_SCHEMA);
  // junk's object, array and inner object; 1, 2; the keys a and b and the string c; the escaped key's array and object.
  t.equal(counts.unplacedContainers, 5);
  t.equal(counts.unplacedScalars, 5);
  t.equal(counts.elements, 10);
  t.equal(messagesByName(counts, TRACE_WIRE_SCHEMA).ResourceSpans, undefined, 'nothing placed as a resource');
  // An unknown scalar field of a known message is one element too: JSON.parse builds it.
  const span = scanJson(Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ unknownField: 'ignored' })]))), TRACE_WIRE_SCHEMA);
  t.equal(span.unplacedScalars, 1);
  t.equal(span.elements, 5, 'resourceSpans, its resource attribute, scopeSpans, span and the unknown field');
});

// The fuzz properties of the OTLP trace decoders, run by
// collector/test/fuzz-decode-*.test.ts (a few hundred runs each) and by
// `npm run fuzz` (FUZZ_RUNS each).
import fc from 'fast-check';
import { checkDecode, storedForm } from './decode-checks.ts';
import { fuzzProperty, type FuzzProperty } from './fuzz-settings.ts';
import { mutateBytes, byteMutationArbitrary, jsonMutationArbitrary, mutateJsonValue, mutatedJsonBody, textMutationArbitrary } from './mutations.ts';
import { encodeOtlpJson, jsonSpellingArbitrary, otlpJsonValue, type JsonSpelling } from './otlp-json-text.ts';
import {
  encodeProtobuf,
  protobufSpellingArbitrary,
  spanArbitrary,
  spanCount,
  traceRequestArbitrary,
  varint,
  type AnyValueModel,
  type TraceRequestModel,
} from './trace-request-model.ts';

// ---------------------------------------------------------------------------
// Protobuf

/** Wire-format fields of any number and wire type, nested: the shape of protobuf without its schema. */
type SoupField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; value: Uint8Array }
  | { field: number; wire: 2; value: Uint8Array | SoupField[] };

const fieldNumber = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 16 }) }, fc.integer({ min: 1, max: 2 ** 29 - 1 }));

function soupArbitrary(depth: number): fc.Arbitrary<SoupField[]> {
  const leaves: Array<fc.Arbitrary<SoupField>> = [
    fc.record({ field: fieldNumber, wire: fc.constant(0 as const), value: fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })) }),
    fc.record({ field: fieldNumber, wire: fc.constant(1 as const), value: fc.uint8Array({ minLength: 8, maxLength: 8 }) }),
    fc.record({ field: fieldNumber, wire: fc.constant(5 as const), value: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
    fc.record({ field: fieldNumber, wire: fc.constant(2 as const), value: fc.uint8Array({ maxLength: 20 }) }),
  ];
  const field = depth <= 0 ? fc.oneof(...leaves) : fc.oneof(...leaves, fc.record({ field: fieldNumber, wire: fc.constant(2 as const), value: soupArbitrary(depth - 1) }));
  return fc.array(field, { maxLength: 5 });
}

function encodeSoup(fields: readonly SoupField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(varint(BigInt(f.field * 8 + f.wire)));
    if (f.wire === 0) parts.push(varint(f.value));
    else if (f.wire === 2) {
      const payload = f.value instanceof Uint8Array ? Buffer.from(f.value) : encodeSoup(f.value);
      parts.push(varint(BigInt(payload.length)), payload);
    } else parts.push(Buffer.from(f.value));
  }
  return Buffer.concat(parts);
}

const protobufBody = fc.tuple(traceRequestArbitrary, protobufSpellingArbitrary).map(([model, spelling]) => encodeProtobuf(model, spelling));

export const protobufProperties: FuzzProperty[] = [
  fuzzProperty(
    'protobuf: arbitrary bytes are decoded or refused as malformed',
    500,
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      checkDecode(Buffer.from(bytes), 'protobuf');
    }),
  ),
  fuzzProperty(
    'protobuf: schemaless fields of every wire type, nested, are decoded or refused as malformed',
    300,
    fc.property(soupArbitrary(4), (soup) => {
      checkDecode(encodeSoup(soup), 'protobuf');
    }),
  ),
  fuzzProperty(
    'protobuf: a valid request decodes, every span a row or a rejection, every row storable',
    200,
    fc.property(traceRequestArbitrary, protobufSpellingArbitrary, (model, spelling) => {
      const outcome = checkDecode(encodeProtobuf(model, spelling), 'protobuf');
      if ('error' in outcome) throw new Error(`a valid request was refused: ${outcome.error.message}`);
      const { rows, rejected } = outcome.decoded;
      if (rows.length + rejected !== spanCount(model)) throw new Error(`${spanCount(model)} spans became ${rows.length} rows and ${rejected} rejections`);
    }),
  ),
  fuzzProperty(
    'protobuf: mutated valid requests (bit flips, truncation, splices, blown-up lengths) are decoded or refused as malformed',
    400,
    fc.property(protobufBody, fc.array(byteMutationArbitrary, { minLength: 1, maxLength: 4 }), (body, mutations) => {
      checkDecode(mutateBytes(body, mutations), 'protobuf');
    }),
  ),
  fuzzProperty(
    'protobuf: two valid requests spliced together are decoded or refused as malformed',
    200,
    fc.property(protobufBody, protobufBody, fc.nat(), fc.nat(), (a, b, cutA, cutB) => {
      const head = a.subarray(0, cutA % (a.length + 1));
      const tail = b.subarray(cutB % (b.length + 1));
      checkDecode(Buffer.concat([head, tail]), 'protobuf');
    }),
  ),
];

// ---------------------------------------------------------------------------
// OTLP/JSON

const unicodeText = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('\ud800', '\udc00', '{', '}', '[', ']', '"', ':', ',', '\\', '\ufeff')),
  maxLength: 64,
});

export const jsonProperties: FuzzProperty[] = [
  fuzzProperty(
    'json: arbitrary JSON values are decoded or refused as malformed',
    500,
    fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
      checkDecode(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), 'json');
    }),
  ),
  fuzzProperty(
    'json: arbitrary text and bytes are decoded or refused as malformed',
    300,
    fc.property(fc.oneof(unicodeText.map((text) => Buffer.from(text, 'utf8')), fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b))), (body) => {
      checkDecode(body, 'json');
    }),
  ),
  fuzzProperty(
    'json: mutated valid requests (wrong types, numbers as strings, huge integers, deep nesting, invalid UTF-8, BOM) are decoded or refused as malformed',
    400,
    fc.property(
      traceRequestArbitrary,
      jsonSpellingArbitrary,
      fc.array(jsonMutationArbitrary, { minLength: 1, maxLength: 3 }),
      fc.array(textMutationArbitrary, { maxLength: 2 }),
      (model, spelling, jsonMutations, textMutations) => {
        const value = mutateJsonValue(otlpJsonValue(model, spelling), jsonMutations);
        checkDecode(mutatedJsonBody(value, textMutations), 'json');
      },
    ),
  ),
  fuzzProperty(
    'json: a valid request decodes, every span a row or a rejection, every row storable',
    200,
    fc.property(traceRequestArbitrary, jsonSpellingArbitrary, (model, spelling) => {
      const outcome = checkDecode(encodeOtlpJson(model, spelling), 'json');
      if ('error' in outcome) throw new Error(`a valid request was refused: ${outcome.error.message}`);
      const { rows, rejected } = outcome.decoded;
      if (rows.length + rejected !== spanCount(model)) throw new Error(`${spanCount(model)} spans became ${rows.length} rows and ${rejected} rejections`);
    }),
  ),
];

// ---------------------------------------------------------------------------
// Both encodings

/** One span holding an attribute nested `depth` levels deep, arrays and kvlists alternating. */
function deeplyNested(depth: number, span: TraceRequestModel['resourceSpans'][number]['scopeSpans'][number]['spans'][number]): TraceRequestModel {
  let value: AnyValueModel = { stringValue: 'bottom' };
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { arrayValue: [value] } : { kvlistValue: [{ key: `level${i}`, value }] };
  return { resourceSpans: [{ resource: null, schemaUrl: '', scopeSpans: [{ scope: null, schemaUrl: '', spans: [{ ...span, attributes: [{ key: 'deep', value }] }] }] }] };
}

function decodeBoth(model: TraceRequestModel, jsonSpelling: JsonSpelling, protobufSpelling: Parameters<typeof encodeProtobuf>[1]) {
  const fromJson = checkDecode(encodeOtlpJson(model, jsonSpelling), 'json');
  const fromProtobuf = checkDecode(encodeProtobuf(model, protobufSpelling), 'protobuf');
  return { fromJson, fromProtobuf };
}

export const differentialProperties: FuzzProperty[] = [
  fuzzProperty(
    'json and protobuf: the same valid request decodes to the same rows in both encodings',
    300,
    fc.property(traceRequestArbitrary, jsonSpellingArbitrary, protobufSpellingArbitrary, (model, jsonSpelling, protobufSpelling) => {
      const { fromJson, fromProtobuf } = decodeBoth(model, jsonSpelling, protobufSpelling);
      if ('error' in fromJson || 'error' in fromProtobuf) {
        throw new Error(`a valid request was refused: json ${'error' in fromJson ? fromJson.error.message : 'ok'}, protobuf ${'error' in fromProtobuf ? fromProtobuf.error.message : 'ok'}`);
      }
      const json = storedForm(fromJson.decoded);
      const protobuf = storedForm(fromProtobuf.decoded);
      if (json !== protobuf) throw new Error(`the encodings decode differently:\njson:     ${json}\nprotobuf: ${protobuf}`);
    }),
  ),
  fuzzProperty(
    'json and protobuf: deeply nested attribute values are decoded, or refused as malformed, alike in both encodings',
    100,
    fc.property(fc.integer({ min: 1, max: 220 }), spanArbitrary, jsonSpellingArbitrary, protobufSpellingArbitrary, (depth, span, jsonSpelling, protobufSpelling) => {
      // Indented, this nesting is quadratic text: slow to make, and nothing more to learn.
      const { fromJson, fromProtobuf } = decodeBoth(deeplyNested(depth, span), { ...jsonSpelling, indent: false }, protobufSpelling);
      if ('error' in fromJson !== 'error' in fromProtobuf) {
        throw new Error(`at depth ${depth} one encoding was refused and the other not: json ${'error' in fromJson ? fromJson.error.message : 'decoded'}, protobuf ${'error' in fromProtobuf ? fromProtobuf.error.message : 'decoded'}`);
      }
      if ('decoded' in fromJson && 'decoded' in fromProtobuf && storedForm(fromJson.decoded) !== storedForm(fromProtobuf.decoded)) {
        throw new Error(`at depth ${depth} the encodings decode differently`);
      }
    }),
  ),
];

export const decodeProperties: FuzzProperty[] = [...protobufProperties, ...jsonProperties, ...differentialProperties];

// OTLP/JSON text of a TraceRequestModel in the spellings the specification
// allows (hex IDs in either case, int64 as decimal strings or as number
// literals beyond 2^53, enums as integers or names, defaults written or left
// out, unknown fields, a byte order mark, indentation), and JSON text with
// raw pieces that JSON.stringify cannot write (huge number literals, deep
// nesting), for the mutations.
import fc from 'fast-check';
import type { AnyValueModel, EventModel, KeyValueModel, LinkModel, SpanModel, TraceRequestModel } from './trace-request-model.ts';

export interface JsonSpelling {
  upperCaseHex: boolean;
  /** int64 and fixed64 values as JSON number literals (exact digits) instead of strings. */
  integersAsNumbers: boolean;
  enumNames: boolean;
  /** Leave out fields holding their default value. */
  omitDefaults: boolean;
  unknownFields: boolean;
  byteOrderMark: boolean;
  indent: boolean;
}

export const jsonSpellingArbitrary: fc.Arbitrary<JsonSpelling> = fc.record({
  upperCaseHex: fc.boolean(),
  integersAsNumbers: fc.boolean(),
  enumNames: fc.boolean(),
  omitDefaults: fc.boolean(),
  unknownFields: fc.boolean(),
  byteOrderMark: fc.boolean(),
  indent: fc.boolean(),
});

/** A piece of JSON text placed as is where the value stands (see jsonText). */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * JSON.stringify, except that RawJson values are written as their text. The
 * placeholders hold NUL characters, which JSON.stringify always escapes, so
 * no string of the value can be taken for one.
 */
export function jsonText(value: unknown, indent = false): string {
  const raws: string[] = [];
  const text = JSON.stringify(
    value,
    (_key, inner: unknown) => {
      if (inner instanceof RawJson) {
        raws.push(inner.text);
        return `\u0000raw${raws.length - 1}\u0000`;
      }
      if (typeof inner === 'bigint') return inner.toString();
      return inner;
    },
    indent ? 2 : undefined,
  );
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index: string) => raws[Number(index)] ?? 'null');
}

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

type JsonObject = Record<string, unknown>;

/** The model as an OTLP/JSON value (RawJson inside for number literals); `jsonText` writes it. */
export function otlpJsonValue(model: TraceRequestModel, spelling: JsonSpelling): JsonObject {
  const put = (target: JsonObject, key: string, value: unknown, isDefault: boolean): void => {
    if (!(isDefault && spelling.omitDefaults)) target[key] = value;
  };
  const extra = (target: JsonObject): JsonObject => {
    if (spelling.unknownFields) target.unknownField = { nested: [1, 'two', null], n: new RawJson('12345678901234567890123') };
    return target;
  };
  const hex = (bytes: Uint8Array): string => {
    const text = Buffer.from(bytes).toString('hex');
    return spelling.upperCaseHex ? text.toUpperCase() : text;
  };
  const int64 = (value: bigint): unknown => (spelling.integersAsNumbers ? new RawJson(value.toString()) : value.toString());
  const enumOf = (value: number, names: readonly string[]): unknown => (spelling.enumNames && names[value] !== undefined ? names[value] : value);

  const anyValue = (value: AnyValueModel): JsonObject => {
    if ('stringValue' in value) return extra({ stringValue: value.stringValue });
    if ('boolValue' in value) return extra({ boolValue: value.boolValue });
    if ('intValue' in value) return extra({ intValue: int64(value.intValue) });
    if ('doubleValue' in value) return extra({ doubleValue: Number.isFinite(value.doubleValue) ? value.doubleValue : String(value.doubleValue) });
    if ('bytesValue' in value) return extra({ bytesValue: Buffer.from(value.bytesValue).toString('base64') });
    if ('arrayValue' in value) return extra({ arrayValue: extra({ values: value.arrayValue.map(anyValue) }) });
    if ('kvlistValue' in value) return extra({ kvlistValue: extra({ values: value.kvlistValue.map(keyValue) }) });
    return extra({});
  };
  const keyValue = (kv: KeyValueModel): JsonObject => {
    const out: JsonObject = { key: kv.key };
    if (kv.value !== null) out.value = anyValue(kv.value);
    return extra(out);
  };
  const attributesOf = (target: JsonObject, list: readonly KeyValueModel[], dropped: number): void => {
    put(target, 'attributes', list.map(keyValue), list.length === 0);
    put(target, 'droppedAttributesCount', dropped, dropped === 0);
  };
  const event = (e: EventModel): JsonObject => {
    const out: JsonObject = {};
    put(out, 'timeUnixNano', int64(e.timeUnixNano), e.timeUnixNano === 0n);
    put(out, 'name', e.name, e.name === '');
    attributesOf(out, e.attributes, e.droppedAttributesCount);
    return extra(out);
  };
  const link = (l: LinkModel): JsonObject => {
    const out: JsonObject = {};
    put(out, 'traceId', hex(l.traceId), l.traceId.length === 0);
    put(out, 'spanId', hex(l.spanId), l.spanId.length === 0);
    put(out, 'traceState', l.traceState, l.traceState === '');
    attributesOf(out, l.attributes, l.droppedAttributesCount);
    put(out, 'flags', l.flags, l.flags === 0);
    return extra(out);
  };
  const span = (s: SpanModel): JsonObject => {
    const out: JsonObject = {};
    put(out, 'traceId', hex(s.traceId), s.traceId.length === 0);
    put(out, 'spanId', hex(s.spanId), s.spanId.length === 0);
    put(out, 'traceState', s.traceState, s.traceState === '');
    put(out, 'parentSpanId', hex(s.parentSpanId), s.parentSpanId.length === 0);
    put(out, 'flags', s.flags, s.flags === 0);
    put(out, 'name', s.name, s.name === '');
    put(out, 'kind', enumOf(s.kind, SPAN_KINDS), s.kind === 0);
    put(out, 'startTimeUnixNano', int64(s.startTimeUnixNano), s.startTimeUnixNano === 0n);
    put(out, 'endTimeUnixNano', int64(s.endTimeUnixNano), s.endTimeUnixNano === 0n);
    attributesOf(out, s.attributes, s.droppedAttributesCount);
    put(out, 'events', s.events.map(event), s.events.length === 0);
    put(out, 'droppedEventsCount', s.droppedEventsCount, s.droppedEventsCount === 0);
    put(out, 'links', s.links.map(link), s.links.length === 0);
    put(out, 'droppedLinksCount', s.droppedLinksCount, s.droppedLinksCount === 0);
    if (s.status !== null) {
      const status: JsonObject = {};
      put(status, 'message', s.status.message, s.status.message === '');
      put(status, 'code', enumOf(s.status.code, STATUS_CODES), s.status.code === 0);
      out.status = extra(status);
    }
    return extra(out);
  };
  return extra({
    resourceSpans: model.resourceSpans.map((rs) => {
      const out: JsonObject = {};
      if (rs.resource !== null) {
        const resource: JsonObject = {};
        attributesOf(resource, rs.resource.attributes, rs.resource.droppedAttributesCount);
        out.resource = extra(resource);
      }
      put(
        out,
        'scopeSpans',
        rs.scopeSpans.map((ss) => {
          const scopeSpans: JsonObject = {};
          if (ss.scope !== null) {
            const scope: JsonObject = {};
            put(scope, 'name', ss.scope.name, ss.scope.name === '');
            put(scope, 'version', ss.scope.version, ss.scope.version === '');
            attributesOf(scope, ss.scope.attributes, ss.scope.droppedAttributesCount);
            scopeSpans.scope = extra(scope);
          }
          put(scopeSpans, 'spans', ss.spans.map(span), ss.spans.length === 0);
          put(scopeSpans, 'schemaUrl', ss.schemaUrl, ss.schemaUrl === '');
          return extra(scopeSpans);
        }),
        rs.scopeSpans.length === 0,
      );
      put(out, 'schemaUrl', rs.schemaUrl, rs.schemaUrl === '');
      return extra(out);
    }),
  });
}

/** The model as an OTLP/JSON request body. */
export function encodeOtlpJson(model: TraceRequestModel, spelling: JsonSpelling): Buffer {
  const text = jsonText(otlpJsonValue(model, spelling), spelling.indent);
  return Buffer.from(spelling.byteOrderMark ? `\ufeff${text}` : text, 'utf8');
}

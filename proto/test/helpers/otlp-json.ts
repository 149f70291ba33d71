// Puts a protobufjs-decoded message and the OpenTelemetry JS JSON serializer's
// output into one comparable OTLP/JSON form: trace and span ids as hex, other
// bytes as base64, 64-bit integers as decimal strings, enums as numbers.
import type { Message, Type } from 'protobufjs';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const hexIdKeys = new Set(['traceId', 'spanId', 'parentSpanId']);

function walk(value: unknown, key: string | undefined, fix: (key: string | undefined, value: unknown) => unknown): Json {
  const fixed = fix(key, value);
  if (Array.isArray(fixed)) return fixed.map((item) => walk(item, undefined, fix));
  if (fixed !== null && typeof fixed === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(fixed)) out[k] = walk(v, k, fix);
    return out;
  }
  return fixed as Json;
}

// Empty repeated fields are the same as absent ones on the wire; drop them so
// both sides agree whether or not a writer spelled them out.
function withoutEmptyArrays(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)));
}

/** OTLP/JSON form of a decoded message (fields absent from the wire left out). */
export function decodedToOtlpJson(type: Type, message: Message): Json {
  const plain = type.toObject(message, { longs: String, bytes: String, enums: Number });
  return walk(plain, undefined, (key, value) =>
    key !== undefined && hexIdKeys.has(key) && typeof value === 'string' ? Buffer.from(value, 'base64').toString('hex') : withoutEmptyArrays(value),
  );
}

// otlp-transformer 0.301's JSON serializers write the resource's schema URL
// inside `resource` instead of on ResourceSpans/ResourceLogs/ResourceMetrics
// (its protobuf serializers put it in the right place); move it back.
function hoistResourceSchemaUrl(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as { resource?: { schemaUrl?: unknown } };
  if (record.resource && typeof record.resource === 'object' && 'schemaUrl' in record.resource) {
    const { schemaUrl, ...resource } = record.resource;
    return { ...record, resource, schemaUrl };
  }
  return value;
}

/**
 * OTLP/JSON from @opentelemetry/otlp-transformer's JSON serializers, with
 * int64 attribute values as strings (it writes small ones as JSON numbers,
 * which OTLP/JSON also allows).
 */
export function otelJsJson(bytes: Uint8Array): Json {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  return walk(parsed, undefined, (key, value) =>
    key === 'intValue' && typeof value === 'number' ? String(value) : withoutEmptyArrays(hoistResourceSchemaUrl(value)),
  );
}

/**
 * Reads the JSON serializer's document into a message with Type.fromObject
 * (hex ids turned into bytes first). Used where that serializer spells
 * default values out and writes 64-bit counts as JSON numbers, so documents
 * are compared as messages with every default filled in.
 */
export function otelJsJsonAsMessage(type: Type, bytes: Uint8Array): Message {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  const plain = walk(parsed, undefined, (key, value) =>
    key !== undefined && hexIdKeys.has(key) && typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : hoistResourceSchemaUrl(value),
  );
  return type.fromObject(plain as { [key: string]: unknown });
}

/** Plain form of a message with every default written out, for comparing messages built different ways. */
export function withDefaults(type: Type, message: Message): Json {
  return walk(type.toObject(message, { longs: String, bytes: String, enums: Number, defaults: true, arrays: true }), undefined, (_key, value) => value);
}

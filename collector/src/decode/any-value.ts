import { int64ToString } from '@justanalytics/proto';
import type { IAnyValue, IKeyValue } from '@justanalytics/proto';
import type { AnyValueJson, KeyValueJson } from '../rows/otlp-json.ts';
import { bytesToBase64 } from './id-bytes.ts';
import { sanitizeString } from './sanitize-string.ts';

// The recursion below is bounded: protobufjs refuses messages nested more
// than 100 levels (protoc's limit), in decode and fromObject alike, so no
// value reaching here is deep enough to exhaust the stack or PostgreSQL's
// jsonb nesting.

/** Decoded KeyValues as their OTLP/JSON form, every string made storable. */
export function keyValuesToJson(list: readonly IKeyValue[]): KeyValueJson[] {
  const out = new Array<KeyValueJson>(list.length);
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as IKeyValue;
    out[i] = { key: sanitizeString(kv.key), value: anyValueToJson(kv.value) };
  }
  return out;
}

/**
 * One AnyValue in OTLP/JSON form: int64 as an exact decimal string, bytes as
 * base64, the non-finite doubles as the strings proto3 JSON uses, and an
 * AnyValue with no member set (or a KeyValue with no value) as {}.
 */
export function anyValueToJson(value: IAnyValue | null): AnyValueJson {
  if (value === null) return {};
  switch (value.value) {
    case 'stringValue':
      return { stringValue: sanitizeString(value.stringValue ?? '') };
    case 'boolValue':
      return { boolValue: value.boolValue === true };
    case 'intValue':
      return { intValue: value.intValue === undefined ? '0' : int64ToString(value.intValue) };
    case 'doubleValue':
      return { doubleValue: doubleToJson(value.doubleValue ?? 0) };
    case 'bytesValue':
      return { bytesValue: value.bytesValue === undefined ? '' : bytesToBase64(value.bytesValue) };
    case 'arrayValue': {
      const values = value.arrayValue?.values ?? [];
      const out = new Array<AnyValueJson>(values.length);
      for (let i = 0; i < values.length; i++) out[i] = anyValueToJson(values[i] as IAnyValue);
      return { arrayValue: { values: out } };
    }
    case 'kvlistValue':
      return { kvlistValue: { values: keyValuesToJson(value.kvlistValue?.values ?? []) } };
    default:
      return {};
  }
}

function doubleToJson(value: number): number | 'NaN' | 'Infinity' | '-Infinity' {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

// Turns a decoded protobufjs message into canonical proto3 JSON (what
// `buf convert --to json` prints): int64 as decimal strings, bytes as base64,
// enums by name, non-finite doubles as "NaN" / "Infinity" / "-Infinity",
// fields absent from the wire left out.
import type { Message, Type } from 'protobufjs';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function fixNonFinite(value: unknown): Json {
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(fixNonFinite);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = fixNonFinite(v);
    return out;
  }
  return value as Json;
}

export function toCanonicalJson(type: Type, message: Message): Json {
  return fixNonFinite(type.toObject(message, { longs: String, bytes: String, enums: String }));
}

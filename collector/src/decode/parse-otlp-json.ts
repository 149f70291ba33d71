import { MalformedRequestError } from './malformed-request-error.ts';

const BYTE_ORDER_MARK = '\uFEFF';
// A number token of 16 or more digits (where JSON values start): the only
// place an integer beyond 2^53 can hide. Inside strings it can only cause a
// needlessly careful parse, never a wrong one.
const LONG_INTEGER_TOKEN = /[:[,]\s*-?\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * Parses an OTLP/JSON body into plain objects. proto3 JSON lets int64 fields
 * be numbers, and JSON.parse would round those beyond 2^53; they are kept as
 * their exact decimal text instead, which Type.fromObject accepts as well.
 * Invalid UTF-8 becomes U+FFFD here, before any value is read.
 */
export function parseOtlpJson(body: Buffer): Record<string, unknown> {
  let text = body.toString('utf8');
  if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
  let parsed: unknown;
  try {
    parsed = LONG_INTEGER_TOKEN.test(text) ? JSON.parse(text, keepLongIntegers) : JSON.parse(text);
  } catch {
    // The parser's own message quotes the body, which must not reach logs.
    throw new MalformedRequestError('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MalformedRequestError('OTLP/JSON request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

// JSON.parse's third reviver argument (source text access) is in Node 21+,
// but not yet in TypeScript's lib, hence the optional parameter.
function keepLongIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== 'number' || Number.isSafeInteger(value) || !Number.isInteger(value)) return value;
  const source = context?.source;
  return source !== undefined && INTEGER_LITERAL.test(source) ? source : value;
}

/** obj[field] as an array of objects' entries, or [] when it is anything else. */
export function objectsIn(obj: Record<string, unknown>, field: string): Record<string, unknown>[] {
  const value = obj[field];
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item));
}

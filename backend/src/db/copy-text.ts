import { sanitizeString } from '@justanalytics/collector';

// Values in PostgreSQL's COPY text format: columns separated by tabs, rows by
// newlines, \N for NULL, and a backslash escape for the characters that would
// otherwise end a value or a row.

export const copyNull = '\\N';

const needsEscape = /[\\\n\r\t]/;
const escapable = /[\\\n\r\t]/g;
const escapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function copyText(text: string): string {
  // The collector sanitises what it decodes; a sink must not trust every caller to.
  const value = sanitizeString(text);
  return needsEscape.test(value) ? value.replace(escapable, (c) => escapes[c] ?? c) : value;
}

export function copyNullableText(text: string | null): string {
  return text === null ? copyNull : copyText(text);
}

/** bytea in hex form; the backslash of `\x` is itself escaped for COPY. */
export function copyBytea(bytes: Buffer): string {
  return `\\\\x${bytes.toString('hex')}`;
}

export function copyNullableBytea(bytes: Buffer | null): string {
  return bytes === null ? copyNull : copyBytea(bytes);
}

// A JSON escape PostgreSQL's jsonb rejects: \u0000, or a surrogate (which
// JSON.stringify writes as an escape only when it is lone). It may also match an
// escaped backslash followed by "u0000"; that only costs a second stringify.
const unstorableJsonEscape = /\\u(?:0000|[dD][89a-fA-F])/;

/** A value as jsonb input text, with strings made storable. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!unstorableJsonEscape.test(json)) return json;
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? sanitizeString(inner) : inner));
}

/** A value as jsonb input text, with strings made storable, escaped for COPY. */
export function copyJson(value: unknown): string {
  const json = storableJson(value);
  return needsEscape.test(json) ? json.replace(escapable, (c) => escapes[c] ?? c) : json;
}

const nanosPerMicro = 1000n;
const microsPerSecond = 1_000_000n;

/**
 * A timestamptz literal for a time in nanoseconds since the epoch, truncated
 * to PostgreSQL's microseconds, in UTC. Truncation (not rounding) keeps the
 * value inside the UTC day the partition was chosen by.
 */
export function nanosToTimestamp(nanos: bigint): string {
  const micros = nanos / nanosPerMicro;
  const seconds = micros / microsPerSecond;
  const fraction = micros % microsPerSecond;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.toString().padStart(6, '0')}Z`;
}

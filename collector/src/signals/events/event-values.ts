import { sanitizeString } from '../../decode/sanitize-string.ts';
import type { AnalyticsLimits } from './analytics-limits.ts';
import type { PropValue } from './event-row.ts';

// The checks every analytics body shares (track-body.ts, ingest-body.ts):
// each reads one field of a parsed JSON value, or throws FieldError with a
// message for the client naming the field. Strings come back storable
// (sanitizeString), so no later stage meets a NUL or a lone surrogate.

/** One field of an event breaks a rule: the message names the field. */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

/** Latest time a timestamp may name (year 275760, the end of Date's range), in ms. */
const MAX_TIME_MS = 8.64e15;

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An event name: a non-empty string of at most maxNameLength characters. */
export function readName(value: unknown, limits: AnalyticsLimits, field = 'name'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new FieldError(`${field} must be a non-empty string`);
  if (value.length > limits.maxNameLength) throw new FieldError(`${field} is longer than ${limits.maxNameLength} characters`);
  return sanitizeString(value);
}

/**
 * Custom properties: an object of at most maxProps entries whose values are
 * strings (cut at maxPropStringLength), finite numbers or booleans. Objects,
 * arrays and null are refused, as are integers that do not fit a JavaScript
 * number exactly (gRPC's int_value). Absent is an empty set.
 */
export function readProps(value: unknown, limits: AnalyticsLimits, field = 'props'): Record<string, PropValue> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new FieldError(`${field} must be an object of string, number or boolean values`);
  const entries = Object.entries(value);
  if (entries.length > limits.maxProps) throw new FieldError(`${field} has ${entries.length} entries, more than the limit of ${limits.maxProps}`);
  const props: [string, PropValue][] = [];
  for (const [key, raw] of entries) {
    if (key === '') throw new FieldError(`${field} has an empty key`);
    if (key.length > limits.maxPropKeyLength) throw new FieldError(`${field} has a key longer than ${limits.maxPropKeyLength} characters`);
    props.push([sanitizeString(key), propValue(raw, `${field}.${shorten(key)}`, limits)]);
  }
  // fromEntries makes own properties, so a key such as "__proto__" stays a plain key.
  return Object.fromEntries(props);
}

function propValue(raw: unknown, where: string, limits: AnalyticsLimits): PropValue {
  switch (typeof raw) {
    case 'string':
      return sanitizeString(cut(raw, limits.maxPropStringLength));
    case 'boolean':
      return raw;
    case 'number':
      if (!Number.isFinite(raw)) throw new FieldError(`${where} must be a finite number`);
      return raw;
    case 'bigint':
      if (raw > BigInt(Number.MAX_SAFE_INTEGER) || raw < BigInt(Number.MIN_SAFE_INTEGER)) throw new FieldError(`${where} is an integer beyond ±2^53`);
      return Number(raw);
    default:
      throw new FieldError(`${where} must be a string, number or boolean (objects, arrays and null are not stored)`);
  }
}

/** A page URL: http or https, at most maxUrlLength characters. */
export function readUrl(value: unknown, limits: AnalyticsLimits, field = 'url'): string {
  if (typeof value !== 'string' || value === '') throw new FieldError(`${field} must be a non-empty string`);
  if (value.length > limits.maxUrlLength) throw new FieldError(`${field} is longer than ${limits.maxUrlLength} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FieldError(`${field} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FieldError(`${field} must be an http or https URL`);
  return value;
}

/** A URL that may be left out ('' or absent: none). */
export function readOptionalUrl(value: unknown, limits: AnalyticsLimits, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  return readUrl(value, limits, field);
}

/** A user or anonymous ID: a string of at most maxIdLength characters; absent or '' is none. */
export function readId(value: unknown, limits: AnalyticsLimits, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string`);
  if (value.length > limits.maxIdLength) throw new FieldError(`${field} is longer than ${limits.maxIdLength} characters`);
  return sanitizeString(value);
}

/** A text that is cut rather than refused when long (a page title); absent is ''. */
export function readText(value: unknown, maxLength: number, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new FieldError(`${field} must be a string`);
  return sanitizeString(cut(value, maxLength));
}

/**
 * When the event happened, in ms since the Unix epoch: a number of
 * milliseconds or an ISO 8601 date-time string; absent is null (when
 * received). Whether it is believed is the enrich stage's call.
 */
export function readTimestampMs(value: unknown, field = 'ts'): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) ms = Date.parse(value);
  else throw new FieldError(`${field} must be milliseconds since the Unix epoch or an ISO 8601 date-time`);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIME_MS) throw new FieldError(`${field} is not a valid time`);
  return Math.floor(ms);
}

/** `text` cut to `max` UTF-16 code units, never through a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** A client's key quoted in a message, cut so the message stays short. */
function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

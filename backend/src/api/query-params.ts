import type { TimeRange } from '../query/time-range.ts';
import { InvalidArgumentError } from './errors.ts';
import { MAX_ATTRIBUTE_FILTERS, MAX_ATTRIBUTE_KEY_LENGTH, MAX_TEXT_LENGTH } from './limits.ts';
import { textParameter } from './schemas.ts';

// Parsing of query-string values that JSON schema can only check as strings.

const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DURATION_PART = /(\d+)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)|\.(\d+)(ns|us|µs|μs|ms|s|m|h)/y;
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A duration in nanoseconds from Go's notation ("250ms", "1.5s", "1h30m";
 * units ns, us/µs, ms, s, m, h) or a plain integer of nanoseconds. Null when
 * malformed, negative or beyond int64.
 */
export function parseDurationNs(text: string): bigint | null {
  if (/^\d{1,19}$/.test(text)) return checked(BigInt(text));
  if (text === '') return null;
  let total = 0n;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const match = DURATION_PART.exec(text);
    if (match === null) return null;
    const whole = match[1] ?? '0';
    const fraction = match[2] ?? match[4] ?? '';
    const unit = NANOS_PER_UNIT[match[3] ?? match[5] ?? ''];
    if (unit === undefined) return null;
    total += BigInt(whole) * unit;
    if (fraction !== '') total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    if (total > INT64_MAX) return null;
  }
  return checked(total);
}

function checked(ns: bigint): bigint | null {
  return ns <= INT64_MAX ? ns : null;
}

const UNIX_MILLIS = /^\d{1,15}$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A time from unix milliseconds or ISO 8601. A date-time without an offset,
 * and a bare date, are UTC. Null when malformed.
 */
export function parseTime(text: string): Date | null {
  if (UNIX_MILLIS.test(text)) return new Date(Number(text));
  const match = ISO_8601.exec(text);
  if (match === null || !isCalendarDay(text.slice(0, 10))) return null;
  // Date.parse reads a date-time without an offset as local time; make it UTC.
  const hasTime = text.length > 10;
  const normalised = hasTime && match[1] === undefined ? `${text}Z` : text;
  const millis = Date.parse(normalised.replace(' ', 'T'));
  return Number.isNaN(millis) ? null : new Date(millis);
}

/** Date.parse rolls a day past the month's end (2026-02-30) over into the next month; refuse it instead. */
function isCalendarDay(date: string): boolean {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return days !== undefined && day >= 1 && day <= days;
}

/**
 * The range [start, end) from optional `start`/`end` parameters: end defaults
 * to now, start to `defaultSpanMs` before end.
 */
export function timeRangeFrom(query: { start?: string; end?: string }, defaultSpanMs: number, now = new Date()): TimeRange {
  const end = query.end === undefined ? now : requireTime('end', query.end);
  const start = query.start === undefined ? new Date(end.getTime() - defaultSpanMs) : requireTime('start', query.start);
  if (start.getTime() >= end.getTime()) throw new InvalidArgumentError('start must be before end');
  return { start, end };
}

const HOUR_MS = 3_600_000;

/**
 * Refuses a range longer than `maxHours`: the range bounds how many stored
 * spans a search may read, whatever else it asks.
 */
export function requireRangeAtMost(range: TimeRange, maxHours: number, what: string): void {
  if (range.end.getTime() - range.start.getTime() <= maxHours * HOUR_MS) return;
  const limit = maxHours % 24 === 0 ? `${maxHours / 24} days (${maxHours}h)` : `${maxHours}h`;
  throw new InvalidArgumentError(`the time range of ${what} may be at most ${limit}: narrow start and end`);
}

function requireTime(name: string, text: string): Date {
  const time = parseTime(text);
  if (time === null) throw new InvalidArgumentError(`${name} must be an ISO 8601 time or unix milliseconds`);
  return time;
}

export function requireDuration(name: string, text: string): bigint {
  const ns = parseDurationNs(text);
  if (ns === null) throw new InvalidArgumentError(`${name} must be a duration like "250ms", "1.5s", "2m" or integer nanoseconds`);
  return ns;
}

export const ATTRIBUTE_PREFIX = 'attr.';

/**
 * The querystring schema of `attr.KEY=VALUE` filters, for routes that take
 * them: bounded values, and bounded names too, since KEY reaches SQL.
 */
export const attributeFilterSchema = {
  patternProperties: {
    '^attr\\..+$': textParameter({ maxLength: MAX_TEXT_LENGTH, description: 'attribute filter attr.KEY=VALUE' }),
  },
  propertyNames: textParameter({ maxLength: ATTRIBUTE_PREFIX.length + MAX_ATTRIBUTE_KEY_LENGTH }),
};

/** The `attr.KEY=VALUE` filters of a query string; more than MAX_ATTRIBUTE_FILTERS is a client error. */
export function attributeFilters(query: object): Record<string, string> {
  // Without a prototype, so that attr.__proto__ becomes the filter "__proto__" instead of vanishing (a wider search).
  const filters = Object.create(null) as Record<string, string>;
  const entries: Array<[string, unknown]> = Object.entries(query);
  let count = 0;
  for (const [name, value] of entries) {
    if (!name.startsWith(ATTRIBUTE_PREFIX) || typeof value !== 'string') continue;
    filters[name.slice(ATTRIBUTE_PREFIX.length)] = value;
    count++;
  }
  if (count > MAX_ATTRIBUTE_FILTERS) {
    throw new InvalidArgumentError(`at most ${MAX_ATTRIBUTE_FILTERS} attr.* filters are allowed in one search, got ${count}`);
  }
  return filters;
}

// The fuzz properties of the query API's parameter parsing (durations, times,
// time ranges, attr.* filters, trace cursors, attribute match candidates),
// run by backend/test/fuzz-query-params.test.ts and by `npm run fuzz`.
import fc from 'fast-check';
import { attributeFilters, parseDurationNs, parseTime, timeRangeFrom } from '../../src/api/query-params.ts';
import { attributeCandidates } from '../../src/query/attribute-match.ts';
import { decodeTraceCursor, encodeTraceCursor, InvalidCursorError, microsToIso } from '../../src/query/traces/trace-cursor.ts';
import { fuzzProperty, type FuzzProperty } from '../../../collector/test/fuzz/fuzz-settings.ts';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

// ---------------------------------------------------------------------------
// Durations

const NS = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n } as const;

function fraction(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const rest = value % scale;
  if (rest === 0n) return whole.toString();
  return `${whole}.${rest.toString().padStart(digits, '0').replace(/0+$/, '')}`;
}

/** A nanosecond count as Go's time.Duration.String() writes it ("1h2m3.5s", "1.5µs", "0s"). */
export function goDuration(ns: bigint, micro = 'µs'): string {
  if (ns === 0n) return '0s';
  if (ns < NS.us) return `${ns}ns`;
  if (ns < NS.ms) return `${fraction(ns, 3)}${micro}`;
  if (ns < NS.s) return `${fraction(ns, 6)}ms`;
  let text = `${fraction(ns % NS.m, 9)}s`;
  if (ns >= NS.m) text = `${(ns / NS.m) % 60n}m${text}`;
  if (ns >= NS.h) text = `${ns / NS.h}h${text}`;
  return text;
}

const nanoseconds = fc.oneof(
  fc.bigInt({ min: 0n, max: INT64_MAX }),
  fc.bigInt({ min: 0n, max: 10n ** 12n }),
  fc.bigInt({ min: 0n, max: 2000n }),
  fc.constantFrom(0n, 1n, 999n, 1000n, 1001n, 999_999n, 1_000_000n, 999_999_999n, NS.s, NS.m, NS.h, INT64_MAX),
);

const durationUnit = fc.constantFrom('ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h');
const unitNs = (unit: string): bigint => (unit === 'µs' || unit === 'μs' ? NS.us : NS[unit as keyof typeof NS]);

const durationLike = fc.oneof(
  fc.string({ unit: fc.constantFrom('0', '1', '5', '9', '.', 'n', 's', 'u', 'µ', 'μ', 'm', 'h', '-', '+', 'e', ' '), maxLength: 24 }),
  fc.string({ maxLength: 24 }),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 30n }), durationUnit).map(([n, unit]) => `${n}${unit}`),
  fc.bigInt({ min: 0n, max: 10n ** 25n }).map(String),
);

// ---------------------------------------------------------------------------
// Times

/** The earliest and latest instants parseTime may give: year 0000 less a day of offset, and 15 digits of unix milliseconds. */
const EARLIEST_MS = Date.UTC(0, 0, 1) - 86_400_000;
const LATEST_MS = 999_999_999_999_999;

const isoDate = fc.date({ min: new Date(Date.UTC(0, 0, 1) + 2 * 86_400_000), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true });
const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });

/** "+05:30" or "-0100". */
function offsetText(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${sign}${hh}${colon ? ':' : ''}${mm}`;
}

const timeLike = fc.oneof(
  fc.string({ unit: fc.constantFrom('0', '1', '2', '9', '-', ':', 'T', 't', ' ', 'Z', 'z', '+', '.'), maxLength: 32 }),
  fc.string({ maxLength: 32 }),
  isoDate.map((d) => d.toISOString()),
  fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String),
);

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

// ---------------------------------------------------------------------------
// Attribute filters

const parameterValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  fc.integer(),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.constant(undefined),
  fc.constant(null),
);
const attributeName = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'attr.', 'a=b', 'http.method'));
const parameterName = fc.oneof(
  { weight: 3, arbitrary: attributeName.map((name) => `attr.${name}`) },
  fc.constantFrom('service', 'operation', 'limit', 'attr', 'Attr.x', 'attrx', '__proto__'),
  fc.string({ maxLength: 8 }),
);

/** A query-string object as the parser makes it: every name an own property, "__proto__" too. */
function queryObject(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [name, value] of entries) Object.defineProperty(query, name, { value, enumerable: true, writable: true, configurable: true });
  return query;
}

// ---------------------------------------------------------------------------
// Attribute candidates

const candidateText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.double().map(String),
  fc.constantFrom('true', 'false', 'NaN', 'Infinity', '-Infinity', '-0', '0', '00', '1.50', '1e3', ' 1', '1 ', '+1', '0x10', '', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809'),
);

// ---------------------------------------------------------------------------

export const queryParamProperties: FuzzProperty[] = [
  fuzzProperty(
    'parseDurationNs: any text is a duration in [0, 2^63) or null, never a throw',
    500,
    fc.property(durationLike, (text) => {
      const ns = parseDurationNs(text);
      if (ns !== null && (typeof ns !== 'bigint' || ns < 0n || ns > INT64_MAX)) throw new Error(`${JSON.stringify(text)} gave ${String(ns)}`);
    }),
  ),
  fuzzProperty(
    'parseDurationNs: a nanosecond count written in Go notation (µs, μs or us) or as an integer parses back exactly',
    500,
    fc.property(nanoseconds, fc.constantFrom('µs', 'μs', 'us'), (ns, micro) => {
      for (const text of [goDuration(ns, micro), ns.toString()]) {
        const parsed = parseDurationNs(text);
        if (parsed !== ns) throw new Error(`${ns} written as ${JSON.stringify(text)} parsed as ${String(parsed)}`);
      }
    }),
  ),
  fuzzProperty(
    'parseDurationNs: whole numbers of any units in a row add up, and past int64 are null',
    300,
    fc.property(fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 7n }), durationUnit), { minLength: 1, maxLength: 5 }), (parts) => {
      const text = parts.map(([n, unit]) => `${n}${unit}`).join('');
      const sum = parts.reduce((total, [n, unit]) => total + n * unitNs(unit), 0n);
      const expected = sum > INT64_MAX ? null : sum;
      const parsed = parseDurationNs(text);
      if (parsed !== expected) throw new Error(`${JSON.stringify(text)} parsed as ${String(parsed)}, expected ${String(expected)}`);
    }),
  ),
  fuzzProperty(
    'parseTime: any text is a valid Date between year 0 and unix ms 10^15, or null, never a throw',
    500,
    fc.property(timeLike, (text) => {
      const time = parseTime(text);
      if (time === null) return;
      const ms = time.getTime();
      if (!(time instanceof Date) || !Number.isFinite(ms) || ms < EARLIEST_MS || ms > LATEST_MS) throw new Error(`${JSON.stringify(text)} gave ${String(time)}`);
    }),
  ),
  fuzzProperty(
    'parseTime: unix milliseconds and ISO 8601 (Z, no offset, ±hh:mm, ±hhmm, space, lower case, 1–9 fraction digits) name the same instant',
    500,
    fc.property(isoDate, offsetMinutes, fc.boolean(), fc.integer({ min: 0, max: 6 }), fc.nat({ max: 999_999 }), (date, offset, colon, extraDigits, extra) => {
      const ms = date.getTime();
      const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
      const digits = String(extra).padStart(6, '0').slice(0, extraDigits);
      const cases: Array<[string, number]> = [
        [String(ms >= 0 ? ms : 0), ms >= 0 ? ms : 0],
        [iso, ms],
        [iso.slice(0, -1), ms],
        [iso.replace('T', ' '), ms],
        [iso.toLowerCase(), ms],
        [`${iso.slice(0, -1)}${digits}Z`, ms],
        [`${local}${offsetText(offset, colon)}`, ms],
        [iso.slice(0, 10), Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate())],
        [iso.slice(0, 16), ms - (ms % 60_000 + 60_000) % 60_000],
      ];
      for (const [text, expected] of cases) {
        if (!/^\d{4}/.test(text) && !/^\d+$/.test(text)) continue;
        const parsed = parseTime(text)?.getTime() ?? null;
        if (parsed !== expected) throw new Error(`${JSON.stringify(text)} parsed as ${String(parsed)}, expected ${expected}`);
      }
    }),
  ),
  fuzzProperty(
    'parseTime: an ISO date is taken as the calendar day it names, and one that names no day (2026-02-30) is refused',
    300,
    fc.property(
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.boolean(),
      (year, month, day, hour, minute, withTime) => {
        const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}${withTime ? `T${pad(hour)}:${pad(minute)}Z` : ''}`;
        const parsed = parseTime(text);
        if (day > daysInMonth(year, month)) {
          if (parsed !== null) throw new Error(`${text} names no calendar day but parsed as ${parsed.toISOString()}`);
          return;
        }
        const expected = new Date(0);
        expected.setUTCFullYear(year, month - 1, day);
        expected.setUTCHours(withTime ? hour : 0, withTime ? minute : 0, 0, 0);
        if (parsed?.getTime() !== expected.getTime()) throw new Error(`${text} parsed as ${parsed?.toISOString() ?? 'null'}, expected ${expected.toISOString()}`);
      },
    ),
  ),
  fuzzProperty(
    'timeRangeFrom: any start/end gives start < end, both valid, or throws INVALID_ARGUMENT (400)',
    500,
    fc.property(fc.option(timeLike, { nil: undefined }), fc.option(timeLike, { nil: undefined }), fc.integer({ min: 1, max: 10 * 86_400_000 }), isoDate, (start, end, span, now) => {
      const query: { start?: string; end?: string } = {};
      if (start !== undefined) query.start = start;
      if (end !== undefined) query.end = end;
      let range;
      try {
        range = timeRangeFrom(query, span, now);
      } catch (error) {
        const e = error as { code?: unknown; statusCode?: unknown };
        if (e.code !== 'INVALID_ARGUMENT' || e.statusCode !== 400) throw new Error(`threw ${String(error)}`, { cause: error });
        return;
      }
      const a = range.start.getTime();
      const b = range.end.getTime();
      if (!Number.isFinite(a) || !Number.isFinite(b) || a >= b) throw new Error(`range ${a}..${b}`);
      if (end === undefined && b !== now.getTime()) throw new Error('end is not now');
      if (start === undefined && a !== b - span) throw new Error('start is not the default span before end');
      if (start !== undefined && a !== parseTime(start)?.getTime()) throw new Error('start is not the one given');
    }),
  ),
  fuzzProperty(
    'attributeFilters: every attr.KEY parameter with a string value, and nothing else, becomes the filter KEY',
    500,
    fc.property(fc.array(fc.tuple(parameterName, parameterValue), { maxLength: 8 }), (entries) => {
      const query = queryObject(entries);
      const filters = attributeFilters(query);
      const expected = new Map<string, string>();
      for (const [name, value] of Object.entries(query)) if (name.startsWith('attr.') && typeof value === 'string') expected.set(name.slice(5), value);
      const got = Object.entries(filters);
      if (got.length !== expected.size || got.some(([key, value]) => expected.get(key) !== value)) {
        throw new Error(`${JSON.stringify(Object.entries(query))} gave ${JSON.stringify(got)}, expected ${JSON.stringify([...expected])}`);
      }
    }),
  ),
  fuzzProperty(
    'decodeTraceCursor: any text is a cursor (17-digit micros, 16-byte trace ID) or InvalidCursorError',
    500,
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.base64String({ maxLength: 80 }), fc.string({ maxLength: 60 }).map((s) => Buffer.from(s).toString('base64url'))), (text) => {
      let cursor;
      try {
        cursor = decodeTraceCursor(text);
      } catch (error) {
        if (!(error instanceof InvalidCursorError)) throw new Error(`threw ${String(error)}`, { cause: error });
        return;
      }
      if (cursor.startMicros < 0n || cursor.startMicros >= 10n ** 17n || cursor.traceId.length !== 16) throw new Error(`${text} gave ${String(cursor.startMicros)}`);
      if (Number.isNaN(Date.parse(microsToIso(cursor.startMicros)))) throw new Error(`${text} gave an unusable time`);
    }),
  ),
  fuzzProperty(
    'trace cursors: encode then decode is exact, and the time survives as an ISO timestamp',
    500,
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n - 1n }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (startMicros, id) => {
      const traceId = Buffer.from(id);
      const decoded = decodeTraceCursor(encodeTraceCursor({ startMicros, traceId }));
      if (decoded.startMicros !== startMicros || !decoded.traceId.equals(traceId)) throw new Error('cursor changed on the way');
      const iso = microsToIso(startMicros);
      if (Date.parse(iso) !== Number(startMicros / 1000n) || iso.slice(-7, -1) !== (startMicros % 1_000_000n).toString().padStart(6, '0')) {
        throw new Error(`${startMicros} µs became ${iso}`);
      }
    }),
  ),
  fuzzProperty(
    'attributeCandidates: a string candidate always, an int only for an int64 in canonical form, a bool for true/false, a double only if it prints back',
    500,
    fc.property(fc.string({ maxLength: 6 }), candidateText, (key, text) => {
      const candidates = attributeCandidates(key, text);
      const first = candidates[0];
      if (first?.length !== 1 || first[0]?.key !== key || JSON.stringify(first[0].value) !== JSON.stringify({ stringValue: text })) throw new Error('no string candidate first');
      for (const candidate of candidates) {
        if (candidate.length !== 1 || candidate[0]?.key !== key) throw new Error('a candidate is not one attribute of the key');
        const value = candidate[0].value as Record<string, unknown>;
        if ('intValue' in value) {
          const n = BigInt(value.intValue as string);
          // "-0" may get one too: it matches nothing stored (0 is stored as "0"), which is harmless.
          if (value.intValue !== text || n < INT64_MIN || n > INT64_MAX || (n.toString() !== text && text !== '-0')) throw new Error(`intValue candidate for ${JSON.stringify(text)}`);
        }
        if ('boolValue' in value && String(value.boolValue) !== text) throw new Error(`boolValue candidate for ${JSON.stringify(text)}`);
        if ('doubleValue' in value) {
          const d = value.doubleValue;
          if (!(typeof d === 'number' ? String(d) === text : d === text)) throw new Error(`doubleValue candidate ${String(d)} for ${JSON.stringify(text)}`);
        }
      }
      const isInt = /^-?\d+$/.test(text) && BigInt(text).toString() === text && BigInt(text) >= INT64_MIN && BigInt(text) <= INT64_MAX;
      if (isInt && !candidates.some((c) => 'intValue' in (c[0]?.value ?? {}))) throw new Error(`int candidate missing for ${JSON.stringify(text)}`);
      const isBool = text === 'true' || text === 'false';
      if (isBool !== candidates.some((c) => 'boolValue' in (c[0]?.value ?? {}))) throw new Error(`bool candidate missing or extra for ${JSON.stringify(text)}`);
    }),
  ),
];

import type { TimeRange } from '../time-range.ts';
import { QUARTER_GRAIN } from '../../rollups/analytics-rollup-rows.ts';

// Date ranges and time buckets in a site's IANA time zone, as UTC instants.
// Computed with Intl (the zone database Node ships), so DST and 30- and
// 45-minute offsets are exact, and the same edges come out as PostgreSQL's
// `AT TIME ZONE` gives for the SQL path.

/** The named ranges of the Plausible Stats API v2 this API answers. */
export const namedDateRanges = ['day', '7d', '30d', 'month', '6mo', '12mo', 'all'] as const;
export type NamedDateRange = (typeof namedDateRanges)[number];
/** A named range, or [start, end]: two ISO dates (whole days in the zone, end included) or two ISO datetimes. */
export type DateRangeInput = NamedDateRange | readonly [string, string];

export const timeGrains = ['hour', 'day', 'week', 'month'] as const;
export type TimeGrain = (typeof timeGrains)[number];

/** A local calendar time: what a wall clock in the zone shows. month is 1-12. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether Node (and so, for the SQL path, PostgreSQL's same IANA database) knows the zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time in the zone at a UTC instant (seconds dropped). */
export function localTimeAt(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute! };
}

/** The zone's offset from UTC at a UTC instant, in milliseconds (east positive). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const local = localTimeAt(ms, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  return asUtc - (ms - (((ms % 60_000) + 60_000) % 60_000));
}

/**
 * The UTC instant at which the zone's clocks show `local` (month and day may
 * overflow, as with Date.UTC). A wall time skipped by a DST jump is read with
 * the offset before the jump (02:30 → 03:30 after it), as PostgreSQL reads it;
 * a repeated one as its first occurrence (PostgreSQL takes the later; only a
 * zone turning its clocks back across midnight could tell them apart).
 */
export function utcOfLocal(local: LocalTime, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  let guess = wall - zoneOffsetMs(wall, timeZone);
  const second = wall - zoneOffsetMs(guess, timeZone);
  if (second !== guess) {
    // Near a transition: take the candidate whose wall clock reads `wall`, else the later one (a gap).
    const ok = (t: number): boolean => t + zoneOffsetMs(t, timeZone) === wall;
    guess = ok(second) ? second : ok(guess) ? guess : Math.max(guess, second);
  }
  return guess;
}

function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  return utcOfLocal({ year, month, day, hour: 0, minute: 0 }, timeZone);
}

/** The first instant that is not before `min`, found for ranges like 'all'. */
export interface RangeContext {
  now: Date;
  timeZone: string;
  /** For 'all': the earliest time the site has data (or null: the range is today). */
  earliest?: Date | null;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Why a custom range cannot be read (the request parser reports it as a 400). */
export class InvalidDateRangeError extends Error {}

function isoDateParts(text: string): [number, number, number] | null {
  const match = ISO_DATE.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return [year, month, day];
}

/** Checks a custom [start, end] without resolving it; throws InvalidDateRangeError. */
export function checkCustomRange(range: readonly [string, string]): void {
  const [start, end] = range;
  const dates = isoDateParts(start) !== null && isoDateParts(end) !== null;
  const times = ISO_DATETIME.test(start) && ISO_DATETIME.test(end) && !Number.isNaN(Date.parse(start)) && !Number.isNaN(Date.parse(end));
  if (!dates && !times) {
    throw new InvalidDateRangeError(
      'date_range [start, end] takes two ISO dates ("2026-11-01") or two ISO datetimes with an offset ("2026-11-01T00:00:00Z")',
    );
  }
  if (dates ? start > end : Date.parse(start) >= Date.parse(end)) {
    throw new InvalidDateRangeError('date_range must not end before it starts');
  }
}

/**
 * The UTC [start, end) of a date range in the zone. Named ranges end with
 * today (Plausible's choice): 'day' is today, '7d' and '30d' the last 7 and 30
 * days including today, 'month' the current calendar month, '6mo' and '12mo'
 * the calendar months up to and including the current one, 'all' from the day
 * of the site's earliest data to the end of today. Custom dates are whole days,
 * both included; custom datetimes are taken as given ([start, end)).
 */
export function resolveDateRange(input: DateRangeInput, context: RangeContext): TimeRange {
  const { timeZone } = context;
  const today = localTimeAt(context.now.getTime(), timeZone);
  const dayAfter = (y: number, m: number, d: number): number => startOfLocalDay(y, m, d + 1, timeZone);
  const endOfToday = dayAfter(today.year, today.month, today.day);
  if (typeof input !== 'string') {
    checkCustomRange(input);
    const [start, end] = input;
    const startDate = isoDateParts(start);
    const endDate = isoDateParts(end);
    if (startDate !== null && endDate !== null) {
      return {
        start: new Date(startOfLocalDay(startDate[0], startDate[1], startDate[2], timeZone)),
        end: new Date(dayAfter(endDate[0], endDate[1], endDate[2])),
      };
    }
    return { start: new Date(Date.parse(start)), end: new Date(Date.parse(end)) };
  }
  const daysBack = (days: number): TimeRange => ({
    start: new Date(startOfLocalDay(today.year, today.month, today.day - (days - 1), timeZone)),
    end: new Date(endOfToday),
  });
  const monthsBack = (months: number): TimeRange => ({
    start: new Date(startOfLocalDay(today.year, today.month - (months - 1), 1, timeZone)),
    end: new Date(startOfLocalDay(today.year, today.month + 1, 1, timeZone)),
  });
  switch (input) {
    case 'day':
      return daysBack(1);
    case '7d':
      return daysBack(7);
    case '30d':
      return daysBack(30);
    case 'month':
      return monthsBack(1);
    case '6mo':
      return monthsBack(6);
    case '12mo':
      return monthsBack(12);
    case 'all': {
      if (context.earliest === undefined || context.earliest === null) return daysBack(1);
      const first = localTimeAt(context.earliest.getTime(), timeZone);
      const start = startOfLocalDay(first.year, first.month, first.day, timeZone);
      return { start: new Date(Math.min(start, endOfToday - 1)), end: new Date(endOfToday) };
    }
  }
}

/** The range of equal length just before `range` (compare: previous_period). */
export function previousPeriod(range: TimeRange): TimeRange {
  const length = range.end.getTime() - range.start.getTime();
  return { start: new Date(range.start.getTime() - length), end: new Date(range.start) };
}

/** The grain of the plain `time` dimension: hours for up to two days, days up to 93 days, months beyond. */
export function defaultTimeGrain(range: TimeRange): TimeGrain {
  const days = (range.end.getTime() - range.start.getTime()) / 86_400_000;
  if (days <= 2) return 'hour';
  if (days <= 93) return 'day';
  return 'month';
}

/** A time bucket of a time dimension: its label and its UTC [start, end). */
export interface TimeBucket {
  label: string;
  start: number;
  end: number;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The label Plausible gives a bucket: "2026-11-30 13:00:00" for hours, the first day "2026-11-30" otherwise. */
export function bucketLabel(local: LocalTime, grain: TimeGrain): string {
  const day = `${pad(local.year, 4)}-${pad(local.month)}-${pad(local.day)}`;
  return grain === 'hour' ? `${day} ${pad(local.hour)}:00:00` : day;
}

/** The local start of the bucket holding `local`. Weeks start on Monday (ISO, as date_trunc('week')). */
export function bucketStartLocal(local: LocalTime, grain: TimeGrain): LocalTime {
  switch (grain) {
    case 'hour':
      return { ...local, minute: 0 };
    case 'day':
      return { ...local, hour: 0, minute: 0 };
    case 'week': {
      const weekday = (new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % 7;
      const monday = new Date(Date.UTC(local.year, local.month - 1, local.day - weekday));
      return { year: monday.getUTCFullYear(), month: monday.getUTCMonth() + 1, day: monday.getUTCDate(), hour: 0, minute: 0 };
    }
    case 'month':
      return { ...local, day: 1, hour: 0, minute: 0 };
  }
}

function nextBucketLocal(start: LocalTime, grain: TimeGrain): LocalTime {
  switch (grain) {
    case 'hour':
      return { ...start, hour: start.hour + 1 };
    case 'day':
      return { ...start, day: start.day + 1 };
    case 'week':
      return { ...start, day: start.day + 7 };
    case 'month':
      return { ...start, month: start.month + 1 };
  }
}

/** The label of the bucket holding a UTC instant. */
export function bucketLabelAt(ms: number, grain: TimeGrain, timeZone: string): string {
  return bucketLabel(bucketStartLocal(localTimeAt(ms, timeZone), grain), grain);
}

/**
 * The buckets of `grain` that cover `range`, in order, each cut to the range.
 * Local hours are walked in UTC hours' steps so that a DST fold (the same wall
 * hour twice) is one bucket, as grouping by the local timestamp in SQL makes it.
 */
export function timeBuckets(range: TimeRange, grain: TimeGrain, timeZone: string): TimeBucket[] {
  const buckets: TimeBucket[] = [];
  const end = range.end.getTime();
  let cursor = range.start.getTime();
  while (cursor < end) {
    const startLocal = bucketStartLocal(localTimeAt(cursor, timeZone), grain);
    const label = bucketLabel(startLocal, grain);
    let next = utcOfLocal(nextBucketLocal(startLocal, grain), timeZone);
    // A fold repeats the wall hour: carry on while the label stays the same.
    while (next <= cursor || (next < end && bucketLabelAt(next, grain, timeZone) === label)) next += QUARTER_GRAIN * 60_000;
    const bucketEnd = Math.min(next, end);
    const last = buckets.at(-1);
    if (last !== undefined && last.label === label) last.end = bucketEnd;
    else buckets.push({ label, start: cursor, end: bucketEnd });
    cursor = bucketEnd;
  }
  return buckets;
}

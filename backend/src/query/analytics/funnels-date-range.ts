import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { isRowId } from '../../store/ids.ts';
import type { TimeRange } from '../time-range.ts';
import { InvalidDateRangeError, localTimeAt, namedDateRanges, resolveDateRange, type DateRangeInput } from './analytics-range.ts';

// The date_range of the funnel, goal and drop views: the query API's ranges
// (analytics-range.ts, Plausible's spellings), read in the site's time zone,
// so a funnel and the query API cover the same instants for the same words.

/** A resolved date range: the instants [start, end) and the site's local days it covers, first and last. */
export interface SiteDateRange extends TimeRange {
  timeZone: string;
  firstDay: string;
  lastDay: string;
}

/**
 * The instants of `input` in the site's time zone at `now`, or null when the
 * site does not exist. A malformed range throws InvalidDateRangeError.
 */
export async function resolveSiteDateRange(db: Kysely<Database>, siteId: string, input: DateRangeInput, now: Date = new Date()): Promise<SiteDateRange | null> {
  if (typeof input === 'string' && !(namedDateRanges as readonly string[]).includes(input)) {
    throw new InvalidDateRangeError(`date_range must be one of ${namedDateRanges.join(', ')}, or [start, end]`);
  }
  if (!isRowId(siteId)) return null;
  const site = await sql<{ timezone: string; earliest: Date | null }>`
    SELECT timezone, ${input === 'all' ? sql`(SELECT min(e.time) FROM events e WHERE e.site_id = ${siteId})` : sql`NULL::timestamptz`} AS earliest
    FROM sites WHERE id = ${siteId}`.execute(db);
  const row = site.rows[0];
  if (row === undefined) return null;
  const range = resolveDateRange(input, { now, timeZone: row.timezone, earliest: row.earliest });
  return { ...range, timeZone: row.timezone, firstDay: localDay(range.start.getTime(), row.timezone), lastDay: localDay(range.end.getTime() - 1, row.timezone) };
}

/** A date_range given in a query string: a period name, or "start,end". */
export function dateRangeFromQuery(text: string): DateRangeInput {
  const parts = text.split(',');
  if (parts.length === 2) return [parts[0] ?? '', parts[1] ?? ''];
  return text as DateRangeInput;
}

function localDay(ms: number, timeZone: string): string {
  const { year, month, day } = localTimeAt(ms, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../db/database.ts';
import { hashTextExtended } from '../../db/text-hash.ts';
import { attributePairText, NOT_INDEXED_HASH } from '../../store/traces/trace-attribute-hashes.ts';
import { addDays, utcDay, type TimeRange } from '../time-range.ts';

/**
 * Up to this many candidate traces are listed to the search by ID; past it
 * (a common value) the search joins the candidates in SQL instead.
 */
export const MAX_LISTED_CANDIDATES = 2000;

/**
 * The traces whose summary rows (any day of the search, and the day after,
 * as a trace's second day is merged into its first) hold the hash of
 * `key=text`, or are not indexed ({0}): a superset of the traces that match
 * (hashes collide, and a trace matches only when one span holds every filter),
 * so the caller still checks their spans exactly. Every spelling
 * attributeCandidates matches (string, int, bool, double) is the same text,
 * so one hash stands for all of them.
 */
function candidateRows(db: Kysely<Database>, siteId: string, key: string, text: string, range: TimeRange) {
  const hashes = `{${hashTextExtended(attributePairText(key, text))},${NOT_INDEXED_HASH}}`;
  return db
    .selectFrom('trace_summaries as c')
    .where('c.site_id', '=', siteId)
    .where('c.day', '>=', utcDay(range.start))
    .where('c.day', '<=', addDays(utcDay(range.end), 1))
    .where(sql<SqlBool>`c.attribute_hashes && ${hashes}::bigint[]`);
}

/**
 * The candidate trace IDs of one filter (an ID twice when both days of a
 * trace match), read off the GIN index, or null when more than
 * MAX_LISTED_CANDIDATES rows match. Asked apart from the search, as
 * the planner cannot tell a rare hash from a common one: joined in one
 * statement, it walked every summary of the range to meet a handful of
 * candidates (87 ms where the list and its lookups take 2, at 10M spans).
 */
export async function listCandidateTraces(
  db: Kysely<Database>,
  siteId: string,
  key: string,
  text: string,
  range: TimeRange,
): Promise<Buffer[] | null> {
  // Rows, not distinct traces: DISTINCT would read every row of a common
  // value before the limit; a trace's second day only repeats its ID.
  const rows = await candidateRows(db, siteId, key, text, range).select('c.trace_id').limit(MAX_LISTED_CANDIDATES + 1).execute();
  return rows.length > MAX_LISTED_CANDIDATES ? null : rows.map((row) => row.trace_id);
}

/** The same candidates as a filter on the outer summary `f`, for a value too common to list. */
export function candidateTraceFilter(db: Kysely<Database>, siteId: string, key: string, text: string, range: TimeRange): Expression<SqlBool> {
  return sql<SqlBool>`f.trace_id IN (${candidateRows(db, siteId, key, text, range).select('c.trace_id')})`;
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { addDays, utcDay, type TimeRange } from '../time-range.ts';
import { seriesAttribute } from './metric-attributes.ts';
import { MAX_ATTRIBUTE_VALUES_LISTED } from './metric-limits.ts';

export interface AttributeValues {
  /** Distinct values as text (see metric-attributes.ts), sorted, at most MAX_ATTRIBUTE_VALUES_LISTED. */
  values: string[];
  /** True when there were more. */
  truncated: boolean;
}

/**
 * The values the attribute `key` takes on a metric's series of one site on
 * the UTC days [start, end) touches, for filter pickers: the point attribute
 * where a series has one, else its resource attribute, as filters and groupBy
 * read a key. An unknown metric or key has none.
 */
export async function metricAttributeValues(db: Kysely<Database>, siteId: string, metric: string, key: string, range: TimeRange): Promise<AttributeValues> {
  const result = await sql<{ value: string }>`
    SELECT DISTINCT ${seriesAttribute(key)} AS value
    FROM metric_series s JOIN resource_scopes rs ON rs.site_id = s.site_id AND rs.id = s.resource_scope_id AND rs.day = s.day
    WHERE s.site_id = ${siteId} AND s.metric_name = ${metric} AND s.day >= ${utcDay(range.start)} AND s.day < ${addDays(utcDay(range.end), 1)}
      AND ${seriesAttribute(key)} IS NOT NULL
    ORDER BY 1
    LIMIT ${MAX_ATTRIBUTE_VALUES_LISTED + 1}`.execute(db);
  return {
    values: result.rows.slice(0, MAX_ATTRIBUTE_VALUES_LISTED).map((row) => row.value),
    truncated: result.rows.length > MAX_ATTRIBUTE_VALUES_LISTED,
  };
}

import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { MetricType } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { addDays, utcDay } from '../time-range.ts';
import { seriesAttribute } from './metric-attributes.ts';
import { MAX_METRIC_FILTER_VALUES, MAX_METRIC_FILTERS, MAX_METRIC_GROUP_BY, MAX_METRIC_SERIES } from './metric-limits.ts';

export const filterOps = ['eq', 'neq', 'in', 'regex'] as const;
export type FilterOp = (typeof filterOps)[number];

/**
 * A condition on an attribute (see metric-attributes.ts for how a key is
 * found). eq and in compare text; neq also takes series without the key;
 * regex is a PostgreSQL (POSIX) regular expression matched against the whole
 * value, an absent key reading as the empty string (as in PromQL).
 */
export interface MetricFilter {
  key: string;
  op: FilterOp;
  value: string | string[];
}

export interface SeriesSelection {
  metric: string;
  filters: readonly MetricFilter[];
  groupBy: readonly string[];
  /** The days whose series rows are read: [fromDay, toDay) of the points' times. */
  from: Date;
  to: Date;
}

export interface SelectedSeries {
  id: Buffer;
  type: MetricType;
  unit: string;
  temporality: number;
  monotonic: boolean;
  /** The groupBy keys' values, in groupBy order; null where the series has no such attribute. */
  groupValues: (string | null)[];
}

/** A query selects more series than MAX_METRIC_SERIES: the client must narrow it. */
export class TooManySeriesError extends Error {
  override name = 'TooManySeriesError';

  constructor(metric: string) {
    super(`the query selects more than ${MAX_METRIC_SERIES} series of ${metric}: add filters or narrow the time range`);
  }
}

/** A filter or groupBy the query cannot take; the message says which. */
export class InvalidMetricQueryError extends Error {
  override name = 'InvalidMetricQueryError';
}

/** PostgreSQL refused a regex filter's pattern (invalid_regular_expression). */
export class InvalidRegexError extends InvalidMetricQueryError {
  override name = 'InvalidRegexError';
}

function filterCondition(filter: MetricFilter): RawBuilder<SqlBool> {
  const value = seriesAttribute(filter.key);
  switch (filter.op) {
    case 'eq':
      return sql<SqlBool>`${value} = ${single(filter)}`;
    case 'neq':
      return sql<SqlBool>`${value} IS DISTINCT FROM ${single(filter)}`;
    case 'in':
      return sql<SqlBool>`${value} = ANY(${list(filter)}::text[])`;
    case 'regex':
      return sql<SqlBool>`coalesce(${value}, '') ~ ${`^(?:${single(filter)})$`}`;
  }
}

function single(filter: MetricFilter): string {
  if (typeof filter.value !== 'string') throw new InvalidMetricQueryError(`the ${filter.op} filter on ${filter.key} takes one string value`);
  return filter.value;
}

function list(filter: MetricFilter): string[] {
  if (!Array.isArray(filter.value)) throw new InvalidMetricQueryError(`the in filter on ${filter.key} takes an array of strings`);
  if (filter.value.length > MAX_METRIC_FILTER_VALUES) throw new InvalidMetricQueryError(`an in filter takes at most ${MAX_METRIC_FILTER_VALUES} values`);
  return filter.value;
}

/** Checks the counts of filters and groupBy keys before any SQL is built. */
export function checkSelection(selection: Pick<SeriesSelection, 'filters' | 'groupBy'>): void {
  if (selection.filters.length > MAX_METRIC_FILTERS) throw new InvalidMetricQueryError(`at most ${MAX_METRIC_FILTERS} filters are allowed, got ${selection.filters.length}`);
  if (selection.groupBy.length > MAX_METRIC_GROUP_BY) throw new InvalidMetricQueryError(`at most ${MAX_METRIC_GROUP_BY} groupBy keys are allowed, got ${selection.groupBy.length}`);
  for (const filter of selection.filters) {
    if (!(filterOps as readonly string[]).includes(filter.op)) throw new InvalidMetricQueryError(`unknown filter op ${JSON.stringify(filter.op)}: use ${filterOps.join(', ')}`);
    if (filter.op === 'in') list(filter);
    else single(filter);
  }
}

/**
 * The series of a metric of one site with series rows in [from, to) that
 * match every filter, each with its groupBy values. Throws TooManySeriesError
 * past MAX_METRIC_SERIES, and InvalidRegexError for a pattern PostgreSQL
 * refuses.
 */
export async function selectSeries(db: Kysely<Database>, siteId: string, selection: SeriesSelection): Promise<SelectedSeries[]> {
  checkSelection(selection);
  const conditions = selection.filters.map(filterCondition);
  const groups = selection.groupBy.map((key, i) => sql`${seriesAttribute(key)} AS ${sql.id(`g${i}`)}`);
  try {
    const result = await sql<{ id: Buffer; type: MetricType; unit: string; temporality: number; monotonic: boolean } & Record<string, string | null>>`
      SELECT DISTINCT ON (s.id) s.id, s.type, s.unit, s.temporality, s.monotonic${groups.length > 0 ? sql`, ${sql.join(groups)}` : sql``}
      FROM metric_series s
      JOIN resource_scopes rs ON rs.site_id = s.site_id AND rs.id = s.resource_scope_id AND rs.day = s.day
      WHERE s.site_id = ${siteId} AND s.metric_name = ${selection.metric}
        AND s.day >= ${utcDay(selection.from)} AND s.day < ${addDays(utcDay(selection.to), 1)}
        ${conditions.length > 0 ? sql`AND ${sql.join(conditions, sql` AND `)}` : sql``}
      ORDER BY s.id, s.day DESC
      LIMIT ${MAX_METRIC_SERIES + 1}`.execute(db);
    if (result.rows.length > MAX_METRIC_SERIES) throw new TooManySeriesError(selection.metric);
    return result.rows.map((row) => ({
      id: row.id,
      type: row.type,
      unit: row.unit,
      temporality: row.temporality,
      monotonic: row.monotonic,
      groupValues: selection.groupBy.map((_, i) => row[`g${i}`] ?? null),
    }));
  } catch (error) {
    if (isInvalidRegex(error)) throw new InvalidRegexError(`a regex filter is not a valid regular expression: ${(error as Error).message}`);
    throw error;
  }
}

function isInvalidRegex(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '2201B';
}

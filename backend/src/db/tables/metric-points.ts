import type { ColumnType } from 'kysely';
import type { ExemplarJson, MetricPointRow } from '@justanalytics/collector';
import { copyBytea, copyJson, copyNull, nanosToTimestamp } from '../copy-text.ts';
import { copyColumnsOf, copyStatement, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/** What one metric_points row is made from: the point, its batch's site and its series' id. */
export interface MetricPointCopyRow {
  siteId: string;
  point: MetricPointRow;
  seriesId: Buffer;
}

const column = copyColumnsOf<MetricPointCopyRow>();

// float8 text input takes JavaScript's spellings, NaN and ±Infinity included.
function copyFloat(value: number | null | undefined): string {
  return value === null || value === undefined ? copyNull : String(value);
}

function copyInt(value: bigint | number | null | undefined): string {
  return value === null || value === undefined ? copyNull : String(value);
}

/** An array literal of numbers (no element needs quoting or escaping). */
function copyArray(values: readonly (number | bigint)[] | null | undefined): string {
  return values === null || values === undefined ? copyNull : `{${values.join(',')}}`;
}

/** The columns of metric_points in COPY order, each with how a point fills it. */
export const metricPointColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('series_id', 'bytea', (r) => copyBytea(r.seriesId)),
  column('time', 'timestamptz', (r) => nanosToTimestamp(r.point.timeUnixNano)),
  column('time_unix_nano', 'int8', (r) => r.point.timeUnixNano.toString()),
  column('start_time_unix_nano', 'int8', (r) => r.point.startTimeUnixNano.toString()),
  column('flags', 'int8', (r) => String(r.point.flags)),
  column('double_value', 'float8', (r) => copyFloat(r.point.doubleValue)),
  column('int_value', 'int8', (r) => copyInt(r.point.intValue)),
  column('count', 'int8', (r) => copyInt(r.point.count)),
  column('sum', 'float8', (r) => copyFloat(r.point.sum)),
  column('min', 'float8', (r) => copyFloat(r.point.min)),
  column('max', 'float8', (r) => copyFloat(r.point.max)),
  column('bucket_counts', '_int8', (r) => copyArray(r.point.bucketCounts)),
  column('explicit_bounds', '_float8', (r) => copyArray(r.point.explicitBounds)),
  column('exp_scale', 'int4', (r) => copyInt(r.point.exponential?.scale)),
  column('exp_zero_count', 'int8', (r) => copyInt(r.point.exponential?.zeroCount)),
  column('exp_zero_threshold', 'float8', (r) => copyFloat(r.point.exponential?.zeroThreshold)),
  column('exp_positive_offset', 'int4', (r) => copyInt(r.point.exponential?.positive.offset)),
  column('exp_positive_counts', '_int8', (r) => copyArray(r.point.exponential?.positive.bucketCounts)),
  column('exp_negative_offset', 'int4', (r) => copyInt(r.point.exponential?.negative.offset)),
  column('exp_negative_counts', '_int8', (r) => copyArray(r.point.exponential?.negative.bucketCounts)),
  column('quantiles', '_float8', (r) => copyArray(r.point.quantiles?.map((q) => q.quantile))),
  column('quantile_values', '_float8', (r) => copyArray(r.point.quantiles?.map((q) => q.value))),
  column('exemplars', 'jsonb', (r) => (r.point.exemplars.length === 0 ? copyNull : copyJson(r.point.exemplars))),
] as const;

export const copyMetricPointsSql = copyStatement('metric_points', metricPointColumns);

type Int8 = ColumnType<string, never, never>; // read as decimal strings
type Stored<T> = ColumnType<T, never, never>;

/** Rows are written by store/ with COPY (metricPointColumns), never through Kysely, hence `never` inserts. */
export interface MetricPointsTable {
  site_id: Stored<string>;
  /** The `id` of the point's series in metric_series (16 bytes). */
  series_id: Stored<Buffer>;
  /** time_unix_nano cut to microseconds. */
  time: Stored<Date>;
  time_unix_nano: Int8;
  /** '0' when the point had none. */
  start_time_unix_nano: Int8;
  flags: Int8;
  double_value: Stored<number | null>;
  int_value: Stored<string | null>;
  count: Stored<string | null>;
  sum: Stored<number | null>;
  min: Stored<number | null>;
  max: Stored<number | null>;
  bucket_counts: Stored<string[] | null>;
  explicit_bounds: Stored<number[] | null>;
  exp_scale: Stored<number | null>;
  exp_zero_count: Stored<string | null>;
  exp_zero_threshold: Stored<number | null>;
  exp_positive_offset: Stored<number | null>;
  exp_positive_counts: Stored<string[] | null>;
  exp_negative_offset: Stored<number | null>;
  exp_negative_counts: Stored<string[] | null>;
  quantiles: Stored<number[] | null>;
  quantile_values: Stored<number[] | null>;
  exemplars: Stored<ExemplarJson[] | null>;
}

/** Fails to compile when MetricPointsTable and metricPointColumns name different columns. */
export type MetricPointsTableMatchesColumns = Assert<SameNames<keyof MetricPointsTable, ColumnNames<typeof metricPointColumns>>>;

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ExemplarJson } from '@justanalytics/collector/model';
import type { Database } from '../../db/database.ts';
import { MAX_EXEMPLARS } from './metric-limits.ts';

// The SQL of the metrics query path. Each query reads the selected series'
// points once, keeps one point per (series, time_unix_nano) (an export
// retried after its commit is stored twice), and reduces them per series and
// step (date_bin over the query's start) in PostgreSQL, so that Node gets
// rows per group and step, or, for cumulative histograms, at most two per
// series, run and step: never every point.

/** The selected series, the group each one falls in, and the steps asked for. */
export interface StepWindow {
  siteId: string;
  seriesIds: readonly Buffer[];
  /** Per series, the index of its group. */
  groups: readonly number[];
  /** Steps are [start + i·step, start + (i+1)·step). */
  start: Date;
  end: Date;
  stepSeconds: number;
  /** Where reading starts: `start`, or earlier for what needs the point before a step. */
  readFrom: Date;
}

/** The range's start in nanoseconds since the epoch, as start times are stored. */
function startNanos(window: StepWindow): RawBuilder<unknown> {
  return sql`${(BigInt(window.start.getTime()) * 1_000_000n).toString()}::bigint`;
}

/** The shared head of every query: the selection (sel) and its deduplicated points (pts). */
function points(window: StepWindow): RawBuilder<unknown> {
  const ids = window.seriesIds as Buffer[];
  return sql`sel AS (SELECT * FROM unnest(${ids}::bytea[], ${window.groups as number[]}::int[]) AS sel(series_id, g)),
    pts AS (
      SELECT DISTINCT ON (p.series_id, p.time_unix_nano) sel.g, p.series_id, p.time, p.time_unix_nano, p.start_time_unix_nano,
        p.flags & 1 = 1 AS gap, p.double_value, p.int_value, p.count, p.sum, p.bucket_counts, p.explicit_bounds,
        p.exp_scale, p.exp_zero_count, p.exp_positive_offset, p.exp_positive_counts, p.exp_negative_offset, p.exp_negative_counts,
        p.quantiles, p.quantile_values,
        date_bin(${`${window.stepSeconds} seconds`}::interval, p.time, ${window.start}::timestamptz) AS bucket
      FROM metric_points p JOIN sel ON sel.series_id = p.series_id
      WHERE p.site_id = ${window.siteId} AND p.series_id = ANY(${ids}::bytea[])
        AND p.time >= ${window.readFrom} AND p.time < ${window.end}
      ORDER BY p.series_id, p.time_unix_nano)`;
}

/** Per group and step, over the points with a value: gaps (NO_RECORDED_VALUE) and valueless points count for nothing. */
export interface ValueStepRow {
  g: number;
  bucket: Date;
  /** Points with a value. */
  n: number;
  /** Their sum. */
  total: number;
  /** The average over series of each series' average in the step. */
  mean: number;
  /** The sum over series of each series' average in the step. */
  meanSum: number;
  min: number;
  max: number;
}

/** Gauges and sums read as values (and delta sums added up). Doubles keep NaN and ±Infinity as PostgreSQL orders them (NaN above all). */
export async function valueSteps(db: Kysely<Database>, window: StepWindow): Promise<ValueStepRow[]> {
  const result = await sql<ValueStepRow>`
    WITH ${points(window)},
    v AS (SELECT g, series_id, bucket, CASE WHEN gap THEN NULL ELSE coalesce(double_value, int_value::float8) END AS v FROM pts),
    per_series AS (
      SELECT g, series_id, bucket, count(v) AS n, sum(v) AS total, avg(v) AS mean, min(v) AS lo, max(v) AS hi
      FROM v GROUP BY g, series_id, bucket)
    SELECT g, bucket, sum(n)::float8 AS n, sum(total) AS total, avg(mean) AS mean, sum(mean) AS "meanSum", min(lo) AS min, max(hi) AS max
    FROM per_series WHERE n > 0 GROUP BY g, bucket`.execute(db);
  return result.rows;
}

export interface CounterStepRow {
  g: number;
  bucket: Date;
  /** The sum over the group's series of each one's increase in the step. */
  increase: number;
}

/**
 * Monotonic cumulative sums: per series, the deltas between successive
 * points; a step's increase is the sum of the deltas of its points, the first
 * one's taken from the point before the step. A point whose start time is
 * later than the previous point's, or whose value is lower, is a reset: the
 * counter began again from zero, so its whole value is its delta (OTLP's start
 * time says so exactly; Prometheus assumes it of a drop). A series' first point
 * counts its whole value only when its start time lies inside the range (the
 * counter began there); otherwise it is only the base of the next delta. Gaps
 * and NaN points are skipped; a step with no point of a series has no increase
 * of it.
 */
export async function counterSteps(db: Kysely<Database>, window: StepWindow): Promise<CounterStepRow[]> {
  const result = await sql<CounterStepRow>`
    WITH ${points(window)},
    c AS (
      SELECT g, series_id, time, bucket, time_unix_nano, start_time_unix_nano AS st, coalesce(double_value, int_value::float8) AS v
      FROM pts WHERE NOT gap AND coalesce(double_value, int_value::float8) IS NOT NULL AND coalesce(double_value, int_value::float8) <> 'NaN'),
    d AS (
      SELECT g, series_id, time, bucket, v, lag(v) OVER w AS pv, st, lag(st) OVER w AS pst
      FROM c WINDOW w AS (PARTITION BY series_id ORDER BY time_unix_nano)),
    per_series AS (
      SELECT g, series_id, bucket,
        sum(CASE WHEN pv IS NULL THEN CASE WHEN st > 0 AND st >= ${startNanos(window)} THEN v ELSE 0 END
                 WHEN st > pst OR v < pv THEN v
                 ELSE v - pv END) AS increase
      FROM d WHERE time >= ${window.start} GROUP BY g, series_id, bucket)
    SELECT g, bucket, sum(increase) AS increase FROM per_series GROUP BY g, bucket`.execute(db);
  return result.rows;
}

export interface SummaryStepRow {
  g: number;
  bucket: Date;
  value: number;
}

/** Summaries: per group and step, the average of the points' own `quantile` value. */
export async function summarySteps(db: Kysely<Database>, window: StepWindow, quantile: number): Promise<SummaryStepRow[]> {
  const result = await sql<SummaryStepRow>`
    WITH ${points(window)}
    SELECT g, bucket, avg(u.value) AS value
    FROM pts, unnest(pts.quantiles, pts.quantile_values) AS u(quantile, value)
    WHERE NOT gap AND abs(u.quantile - ${quantile}::float8) < 1e-9
    GROUP BY g, bucket`.execute(db);
  return result.rows;
}

export interface HistogramTotalsRow {
  g: number;
  bucket: Date;
  count: number;
  sum: number | null;
}

/** Delta histograms (both kinds): per group and step, the observations' count and sum added up. */
export async function deltaHistogramTotals(db: Kysely<Database>, window: StepWindow): Promise<HistogramTotalsRow[]> {
  const result = await sql<HistogramTotalsRow>`
    WITH ${points(window)}
    SELECT g, bucket, sum(count)::float8 AS count, sum(sum) AS sum FROM pts WHERE NOT gap AND count IS NOT NULL GROUP BY g, bucket`.execute(db);
  return result.rows;
}

export interface ExplicitBucketsRow {
  g: number;
  bucket: Date;
  bounds: number[];
  counts: string[];
}

/** Delta explicit-bucket histograms: per group, step and set of bounds, each bucket's counts added up. */
export async function deltaExplicitBuckets(db: Kysely<Database>, window: StepWindow): Promise<ExplicitBucketsRow[]> {
  const result = await sql<ExplicitBucketsRow>`
    WITH ${points(window)},
    u AS (
      SELECT g, bucket, explicit_bounds, x.i, sum(x.c) AS c
      FROM pts, unnest(pts.bucket_counts) WITH ORDINALITY AS x(c, i)
      WHERE NOT gap AND bucket_counts IS NOT NULL
      GROUP BY g, bucket, explicit_bounds, x.i)
    SELECT g, bucket, explicit_bounds AS bounds, array_agg(c::int8 ORDER BY i) AS counts FROM u GROUP BY g, bucket, explicit_bounds`.execute(db);
  return result.rows;
}

export interface ExponentialBucketRow {
  g: number;
  bucket: Date;
  scale: number;
  /** p positive, n negative, z the zero bucket (index 0). */
  side: 'p' | 'n' | 'z';
  index: number;
  count: number;
}

/** Delta exponential histograms: per group, step, scale and bucket index, the counts added up. */
export async function deltaExponentialBuckets(db: Kysely<Database>, window: StepWindow): Promise<ExponentialBucketRow[]> {
  const result = await sql<ExponentialBucketRow>`
    WITH ${points(window)},
    e AS (SELECT * FROM pts WHERE NOT gap AND exp_scale IS NOT NULL)
    SELECT g, bucket, exp_scale AS scale, 'p' AS side, exp_positive_offset + x.i::int - 1 AS index, sum(x.c)::float8 AS count
      FROM e, unnest(e.exp_positive_counts) WITH ORDINALITY AS x(c, i) GROUP BY 1, 2, 3, 5
    UNION ALL
    SELECT g, bucket, exp_scale, 'n', exp_negative_offset + x.i::int - 1, sum(x.c)::float8
      FROM e, unnest(e.exp_negative_counts) WITH ORDINALITY AS x(c, i) GROUP BY 1, 2, 3, 5
    UNION ALL
    SELECT g, bucket, exp_scale, 'z', 0, sum(exp_zero_count)::float8 FROM e GROUP BY 1, 2, 3`.execute(db);
  return result.rows;
}

/** A cumulative histogram point that is the first or last of its series, run and step. */
export interface CumulativeHistogramRow {
  g: number;
  series_id: Buffer;
  run: string;
  bucket: Date;
  first: boolean;
  last: boolean;
  /** The point begins a run that began from zero (a reset, or a series born inside the range). */
  from_zero: boolean;
  count: string;
  sum: number | null;
  bucket_counts: string[] | null;
  explicit_bounds: number[] | null;
  exp_scale: number | null;
  exp_zero_count: string | null;
  exp_positive_offset: number | null;
  exp_positive_counts: string[] | null;
  exp_negative_offset: number | null;
  exp_negative_counts: string[] | null;
}

/**
 * Cumulative histograms (both kinds): the series' points split into runs (a
 * point starts one when its start time is later than the previous point's,
 * its count lower, or its bounds other), and of each (series, run, step) only
 * the first and the last point, in order. A step's increase is then the last
 * point minus the last point of the run's previous step (or, where the run
 * starts inside the step, its first point, or zero when the run began from
 * zero: a reset, or a series whose start time lies inside the range, as for
 * counters): see histogram-increments.ts.
 */
export async function cumulativeHistogramRows(db: Kysely<Database>, window: StepWindow): Promise<CumulativeHistogramRow[]> {
  const result = await sql<CumulativeHistogramRow>`
    WITH ${points(window)},
    f AS (
      SELECT pts.*, CASE WHEN lag(time_unix_nano) OVER w IS NULL OR start_time_unix_nano > lag(start_time_unix_nano) OVER w
        OR count < lag(count) OVER w OR explicit_bounds IS DISTINCT FROM lag(explicit_bounds) OVER w THEN 1 ELSE 0 END AS new_run,
        CASE WHEN lag(time_unix_nano) OVER w IS NULL
          THEN start_time_unix_nano > 0 AND start_time_unix_nano >= ${startNanos(window)}
          ELSE true END AS from_zero
      FROM pts WHERE NOT gap AND count IS NOT NULL WINDOW w AS (PARTITION BY series_id ORDER BY time_unix_nano)),
    r AS (SELECT f.*, sum(new_run) OVER (PARTITION BY series_id ORDER BY time_unix_nano) AS run FROM f),
    e AS (
      SELECT r.*, row_number() OVER (PARTITION BY series_id, run, bucket ORDER BY time_unix_nano) AS first_rank,
        row_number() OVER (PARTITION BY series_id, run, bucket ORDER BY time_unix_nano DESC) AS last_rank
      FROM r)
    SELECT g, series_id, run, bucket, first_rank = 1 AS first, last_rank = 1 AS last, new_run = 1 AND from_zero AS from_zero, count, sum, bucket_counts, explicit_bounds,
      exp_scale, exp_zero_count, exp_positive_offset, exp_positive_counts, exp_negative_offset, exp_negative_counts
    FROM e WHERE first_rank = 1 OR last_rank = 1
    ORDER BY series_id, run, bucket, time_unix_nano`.execute(db);
  return result.rows;
}

export interface ExemplarRow {
  g: number;
  exemplar: ExemplarJson;
}

/** The exemplars of the selected series' points in [start, end), oldest first, at most MAX_EXEMPLARS. */
export async function exemplarRows(db: Kysely<Database>, window: StepWindow): Promise<ExemplarRow[]> {
  const ids = window.seriesIds as Buffer[];
  const result = await sql<ExemplarRow>`
    WITH sel AS (SELECT * FROM unnest(${ids}::bytea[], ${window.groups as number[]}::int[]) AS sel(series_id, g))
    SELECT sel.g, e.exemplar
    FROM metric_points p JOIN sel ON sel.series_id = p.series_id, jsonb_array_elements(p.exemplars) AS e(exemplar)
    WHERE p.site_id = ${window.siteId} AND p.series_id = ANY(${ids}::bytea[]) AND p.exemplars IS NOT NULL
      AND p.time >= ${window.start} AND p.time < ${window.end}
    ORDER BY p.time
    LIMIT ${MAX_EXEMPLARS}`.execute(db);
  return result.rows;
}

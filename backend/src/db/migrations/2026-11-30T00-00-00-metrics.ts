import { sql, type Kysely } from 'kysely';

// OTLP metrics as series and points. A series (metric name, type, unit,
// temporality, monotonicity, resource and scope, point attributes) is one
// metric_series row per site and UTC day it has points on, with a 16-byte id
// hashed from its content, so a point carries only that id. Both tables are
// range-partitioned by day and keyed by site_id first, so retention drops a
// day's series with its points, and never deletes rows.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE metric_series (
      site_id bigint NOT NULL,
      day timestamptz NOT NULL,
      -- A hash of the series' identity: the same on every day.
      id bytea NOT NULL,
      metric_name text NOT NULL,
      -- gauge, sum, histogram, exponential_histogram or summary.
      type text NOT NULL,
      unit text NOT NULL,
      -- AggregationTemporality: 0 (gauges, summaries), 1 delta, 2 cumulative.
      temporality smallint NOT NULL,
      monotonic boolean NOT NULL,
      -- Not part of the identity: the first one stored on the day is kept.
      description text NOT NULL,
      service_name text NOT NULL,
      -- The series' resource and scope, in the resource_scopes row of the same day.
      resource_scope_id bytea NOT NULL,
      -- The points' own attributes (OTLP/JSON KeyValue array).
      attributes jsonb NOT NULL,
      PRIMARY KEY (site_id, id, day)
    ) PARTITION BY RANGE (day)`.execute(db);
  await sql`CREATE INDEX metric_series_name_idx ON metric_series (site_id, metric_name, day)`.execute(db);

  await sql`
    CREATE TABLE metric_points (
      site_id bigint NOT NULL,
      series_id bytea NOT NULL,
      -- The point's time, cut to microseconds: partitions and ranges go by it.
      time timestamptz NOT NULL,
      time_unix_nano bigint NOT NULL,
      -- 0 when absent; a later start than the previous point's marks a reset.
      start_time_unix_nano bigint NOT NULL,
      -- DataPointFlags; bit 0 (NO_RECORDED_VALUE) marks a gap.
      flags bigint NOT NULL,
      -- Gauges and sums: exactly one of the two, as sent (neither for a gap).
      double_value float8,
      int_value bigint,
      -- Histograms, exponential histograms and summaries.
      count bigint,
      sum float8,
      min float8,
      max float8,
      bucket_counts bigint[],
      explicit_bounds float8[],
      exp_scale integer,
      exp_zero_count bigint,
      exp_zero_threshold float8,
      exp_positive_offset integer,
      exp_positive_counts bigint[],
      exp_negative_offset integer,
      exp_negative_counts bigint[],
      quantiles float8[],
      quantile_values float8[],
      -- OTLP/JSON Exemplar array; NULL when the point has none.
      exemplars jsonb
    ) PARTITION BY RANGE (time)`.execute(db);
  // No unique key (COPY cannot skip duplicates): readers keep one point per (series, time_unix_nano).
  await sql`CREATE INDEX metric_points_series_idx ON metric_points (site_id, series_id, time)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('metric_points').execute();
  await db.schema.dropTable('metric_series').execute();
}

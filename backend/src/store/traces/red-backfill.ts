import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { dayOfMs } from '../../db/days.ts';
import { ensurePartitionDays, listPartitions } from '../../db/partitions.ts';
import type { TimeRange } from '../../query/time-range.ts';

// One backfill at a time, in every process: the same constant everywhere.
const backfillLock = 0x6a615f726564n; // "ja_red"
const msPerHour = 3_600_000;

export interface RedBackfillResult {
  /** The range rebuilt: the given one widened to whole UTC hours. */
  range: TimeRange;
  minuteRows: number;
  hourRows: number;
}

/**
 * Rebuilds the RED rollups (red_minutes, red_hours) of the spans that started
 * in `range`, widened to whole hours, of one site or of all: the range's
 * rollup rows are deleted and computed again from stored spans, the same
 * rows ingest makes (same minute, key, counts and sketch buckets:
 * red_latency_bucket is bucketOf in SQL), except that spans stored twice
 * (an exporter's retry) count once. Idempotent; concurrent calls run one
 * after another under an advisory lock. A flush that commits spans into the
 * range while it runs may be counted twice or not at all, so rebuild ranges
 * that ingest has left behind.
 */
export async function backfillRedRollups(db: Kysely<Database>, range: TimeRange, siteId?: string): Promise<RedBackfillResult> {
  const start = new Date(Math.floor(range.start.getTime() / msPerHour) * msPerHour);
  const end = new Date(Math.ceil(range.end.getTime() / msPerHour) * msPerHour);
  const site = siteId === undefined ? sql`TRUE` : sql`site_id = ${siteId}`;
  // Rollup partitions for the days that have span partitions in the range (no spans elsewhere),
  // made first: partition DDL takes its own lock, not to be held while the rollups are rebuilt.
  const days = (await listPartitions(db, 'spans'))
    .map((partition) => dayOfMs(partition.day.getTime()))
    .filter((day) => day >= dayOfMs(start.getTime()) && day <= dayOfMs(end.getTime() - 1));
  await ensurePartitionDays(db, 'red_minutes', days);
  await ensurePartitionDays(db, 'red_hours', days);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${backfillLock.toString()}::bigint)`.execute(trx);
    for (const table of ['red_minutes', 'red_hours'] as const) {
      await sql`DELETE FROM ${sql.table(table)} WHERE ${site} AND time >= ${start} AND time < ${end}`.execute(trx);
    }
    const minutes = await sql`
      INSERT INTO red_minutes (site_id, time, service_name, span_name, span_kind, is_root, span_count, error_count,
                               duration_sum_ns, latency_buckets, latency_counts)
      SELECT site_id, time, service_name, span_name, span_kind, is_root, sum(n), sum(errors), sum(duration_sum),
             array_agg(bucket ORDER BY bucket), array_agg(n ORDER BY bucket)
      FROM (
        SELECT site_id, date_trunc('minute', start_time, 'UTC') AS time, service_name, name AS span_name, kind AS span_kind,
               parent_span_id IS NULL AS is_root, red_latency_bucket(duration_ns) AS bucket, count(*) AS n,
               count(*) FILTER (WHERE status_code = 2) AS errors, sum(duration_ns) AS duration_sum
        FROM (SELECT DISTINCT ON (site_id, trace_id, span_id) site_id, start_time, service_name, name, kind, parent_span_id,
                     duration_ns, status_code
              FROM spans WHERE ${site} AND start_time >= ${start} AND start_time < ${end}) span
        GROUP BY 1, 2, 3, 4, 5, 6, 7
      ) by_bucket
      GROUP BY 1, 2, 3, 4, 5, 6`.execute(trx);
    // Hours from the minutes just made: the same spans, read once.
    const hours = await sql`
      WITH minute AS (
        SELECT site_id, date_trunc('hour', time, 'UTC') AS time, service_name, span_name, span_kind, is_root,
               span_count, error_count, duration_sum_ns, latency_buckets, latency_counts
        FROM red_minutes WHERE ${site} AND time >= ${start} AND time < ${end}
      ), counts AS (
        SELECT site_id, time, service_name, span_name, span_kind, is_root,
               sum(span_count) AS span_count, sum(error_count) AS error_count, sum(duration_sum_ns) AS duration_sum_ns
        FROM minute GROUP BY 1, 2, 3, 4, 5, 6
      ), latency AS (
        SELECT site_id, time, service_name, span_name, span_kind, is_root,
               array_agg(bucket ORDER BY bucket) AS latency_buckets, array_agg(n ORDER BY bucket) AS latency_counts
        FROM (SELECT site_id, time, service_name, span_name, span_kind, is_root, b.bucket, sum(b.n)::bigint AS n
              FROM minute, unnest(latency_buckets, latency_counts) AS b (bucket, n)
              GROUP BY 1, 2, 3, 4, 5, 6, 7) by_bucket
        GROUP BY 1, 2, 3, 4, 5, 6
      )
      INSERT INTO red_hours (site_id, time, service_name, span_name, span_kind, is_root, span_count, error_count,
                             duration_sum_ns, latency_buckets, latency_counts)
      SELECT c.site_id, c.time, c.service_name, c.span_name, c.span_kind, c.is_root, c.span_count, c.error_count,
             c.duration_sum_ns, l.latency_buckets, l.latency_counts
      FROM counts c JOIN latency l USING (site_id, time, service_name, span_name, span_kind, is_root)`.execute(trx);
    return { range: { start, end }, minuteRows: Number(minutes.numAffectedRows ?? 0n), hourRows: Number(hours.numAffectedRows ?? 0n) };
  });
}

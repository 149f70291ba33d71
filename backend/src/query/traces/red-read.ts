import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { LatencySketch } from '../../rollups/latency-sketch.ts';
import type { TimeRange } from '../time-range.ts';
import type { RollupPieces } from './red-ranges.ts';

// The one reader of the RED rollups: sums rollup rows of the given pieces by
// service, by operation or by time step, and merges their latency sketches.

/** Which rows count: of one service, of one span name (of one kind). */
export interface RedFilter {
  service?: string;
  operation?: string;
}

export type RedGrouping = { by: 'service' } | { by: 'operation' } | { by: 'step'; origin: Date; stepMs: number };

/** The sums of one group. Requests are server and consumer spans, and root spans of any kind. */
export interface RedTotals {
  spanCount: number;
  errorSpanCount: number;
  requestCount: number;
  errorCount: number;
  /** The latency of the requests. */
  latency: LatencySketch;
}

export interface RedGroup {
  service: string;
  /** Empty unless grouped by operation. */
  operation: string;
  /** 0 unless grouped by operation. */
  spanKind: number;
  /** The step's index from the origin; 0 unless grouped by step. */
  step: number;
  totals: RedTotals;
}

interface RedRow {
  service: string;
  operation: string;
  kind: number;
  step: number;
  /** Null on a row of counts; a rollup row's latency sketch on a row of latency, comma-separated. */
  latency_buckets: string | null;
  latency_counts: string | null;
  span_count: string | null;
  error_span_count: string | null;
  request_count: string | null;
  error_count: string | null;
}

function groupColumns(grouping: RedGrouping): RawBuilder<unknown> {
  switch (grouping.by) {
    case 'service':
      return sql`service_name AS service, '' AS operation, 0 AS kind, 0 AS step`;
    case 'operation':
      return sql`service_name AS service, span_name AS operation, span_kind::integer AS kind, 0 AS step`;
    case 'step':
      return sql`service_name AS service, '' AS operation, 0 AS kind,
        floor((extract(epoch FROM time) * 1000 - ${grouping.origin.getTime()}) / ${grouping.stepMs})::integer AS step`;
  }
}

function piecesOf(table: 'red_hours' | 'red_minutes', ranges: readonly TimeRange[], siteId: string, filter: RedFilter, grouping: RedGrouping): RawBuilder<unknown> {
  const starts = ranges.map((range) => range.start.toISOString());
  const ends = ranges.map((range) => range.end.toISOString());
  const from = ranges[0]?.start ?? new Date(0);
  const to = ranges.at(-1)?.end ?? new Date(0);
  // Each piece is an index range scan of its own (LATERAL; OFFSET 0 keeps the
  // planner from flattening it into a join that reads the whole range once and
  // filters by piece: a day's minute rows for an hour of edges). The outer
  // bounds let the planner skip partitions outside the range.
  return sql`
    SELECT ${groupColumns(grouping)}, span_kind IN (2, 5) OR is_root AS request,
           span_count, error_count, latency_buckets, latency_counts
    FROM unnest(${starts}::timestamptz[], ${ends}::timestamptz[]) AS piece (piece_start, piece_end)
    CROSS JOIN LATERAL (
      SELECT * FROM ${sql.table(table)}
      WHERE site_id = ${siteId} AND time >= piece_start AND time < piece_end
        AND time >= ${from.toISOString()}::timestamptz AND time < ${to.toISOString()}::timestamptz
        ${filter.service === undefined ? sql`` : sql`AND service_name = ${filter.service}`}
        ${filter.operation === undefined ? sql`` : sql`AND span_name = ${filter.operation}`}
      OFFSET 0
    ) rollup_rows`;
}

/** The rollup sums of the pieces' rows, one group per service, operation (name and kind) or step, in no order. */
export async function readRed(db: Kysely<Database>, siteId: string, pieces: RollupPieces, filter: RedFilter, grouping: RedGrouping): Promise<RedGroup[]> {
  const { rows } = await sql<RedRow>`
    WITH rollup AS MATERIALIZED (
      ${piecesOf('red_hours', pieces.hours, siteId, filter, grouping)}
      UNION ALL
      ${piecesOf('red_minutes', pieces.minutes, siteId, filter, grouping)}
    )
    SELECT service, operation, kind, step, NULL AS latency_buckets, NULL AS latency_counts,
           sum(span_count)::text AS span_count, sum(error_count)::text AS error_span_count,
           coalesce(sum(span_count) FILTER (WHERE request), 0)::text AS request_count,
           coalesce(sum(error_count) FILTER (WHERE request), 0)::text AS error_count
    FROM rollup GROUP BY service, operation, kind, step
    UNION ALL
    -- The sketches are merged below (LatencySketch.addStoredText).
    SELECT service, operation, kind, step, array_to_string(latency_buckets, ','), array_to_string(latency_counts, ','), NULL, NULL, NULL, NULL
    FROM rollup
    WHERE request`.execute(db);

  const groups = new Map<string, RedGroup>();
  for (const row of rows) {
    const key = JSON.stringify([row.service, row.operation, row.kind, row.step]);
    let group = groups.get(key);
    if (group === undefined) {
      const totals: RedTotals = { spanCount: 0, errorSpanCount: 0, requestCount: 0, errorCount: 0, latency: new LatencySketch() };
      group = { service: row.service, operation: row.operation, spanKind: row.kind, step: row.step, totals };
      groups.set(key, group);
    }
    if (row.latency_buckets === null || row.latency_counts === null) {
      group.totals.spanCount = Number(row.span_count);
      group.totals.errorSpanCount = Number(row.error_span_count);
      group.totals.requestCount = Number(row.request_count);
      group.totals.errorCount = Number(row.error_count);
    } else {
      group.totals.latency.addStoredText(row.latency_buckets, row.latency_counts);
    }
  }
  return [...groups.values()];
}

/** RED figures of some requests, as every RED answer shows them. */
export interface RedStats {
  requestCount: number;
  /** Requests per second over the range read. */
  requestRate: number;
  /** Requests with status ERROR. */
  errorCount: number;
  /** errorCount / requestCount, 0 without requests. */
  errorRate: number;
  /** Latency quantiles of the requests in milliseconds (within the sketch's 2.2%); null without requests. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Every span, requests or not, and those with status ERROR. */
  spanCount: number;
  errorSpanCount: number;
}

export function redStats(totals: RedTotals, seconds: number): RedStats {
  const quantileMs = (q: number): number | null => {
    const ns = totals.latency.quantileNs(q);
    return ns === null ? null : ns / 1e6;
  };
  return {
    requestCount: totals.requestCount,
    requestRate: totals.requestCount / seconds,
    errorCount: totals.errorCount,
    errorRate: totals.requestCount === 0 ? 0 : totals.errorCount / totals.requestCount,
    p50: quantileMs(0.5),
    p95: quantileMs(0.95),
    p99: quantileMs(0.99),
    spanCount: totals.spanCount,
    errorSpanCount: totals.errorSpanCount,
  };
}

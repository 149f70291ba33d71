import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { LatencySketch } from '../../rollups/latency-sketch.ts';
import type { TimeRange } from '../time-range.ts';
import type { EdgeKey } from './service-map-calls.ts';
import type { SketchedEdge } from './service-map-live.ts';

// Reads the edge rollup that jobs/service-edges.ts keeps.

/** The minutes the rollup holds, [from, until); null before the job's first run. */
export async function rollupCoverage(db: Kysely<Database>): Promise<TimeRange | null> {
  const row = await db.selectFrom('service_edge_progress').select(['computed_from', 'computed_until']).executeTakeFirst();
  return row === undefined ? null : { start: row.computed_from, end: row.computed_until };
}

/** The edges of one site in whole minutes [start, end) from the rollup, sketches added bucket by bucket, in no order. */
export async function rollupEdgeSketches(db: Kysely<Database>, siteId: string, minutes: TimeRange): Promise<SketchedEdge[]> {
  const { rows } = await sql<{
    source: string;
    target: string;
    target_type: EdgeKey['targetType'];
    connection: EdgeKey['connectionType'];
    /** Null on a row of counts; a minute row's latency sketch, comma-separated, on a row of latency. */
    buckets: string | null;
    counts: string | null;
    calls: string | null;
    errors: string | null;
  }>`
    WITH minute AS MATERIALIZED (
      SELECT source, target, target_type, connection, call_count, error_count, latency_buckets, latency_counts
      FROM service_edge_minutes
      WHERE site_id = ${siteId} AND time >= ${minutes.start} AND time < ${minutes.end}
    )
    SELECT source, target, target_type, connection, NULL AS buckets, NULL AS counts, sum(call_count)::text AS calls, sum(error_count)::text AS errors
    FROM minute GROUP BY 1, 2, 3, 4
    UNION ALL
    -- The sketches are merged below (LatencySketch.addStoredText).
    SELECT source, target, target_type, connection, array_to_string(latency_buckets, ','), array_to_string(latency_counts, ','), NULL, NULL
    FROM minute`.execute(db);
  const edges = new Map<string, SketchedEdge>();
  for (const row of rows) {
    const key: EdgeKey = { source: row.source, target: row.target, targetType: row.target_type, connectionType: row.connection };
    const id = JSON.stringify(key);
    let edge = edges.get(id);
    if (edge === undefined) {
      edge = { ...key, callCount: 0, errorCount: 0, latency: new LatencySketch() };
      edges.set(id, edge);
    }
    if (row.buckets === null || row.counts === null) {
      edge.callCount = Number(row.calls);
      edge.errorCount = Number(row.errors);
    } else {
      edge.latency.addStoredText(row.buckets, row.counts);
    }
  }
  return [...edges.values()];
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { LatencySketch } from '../../rollups/latency-sketch.ts';
import type { TimeRange } from '../time-range.ts';
import { byEdgeKey, callsCte, setCallsPlanner, type EdgeKey } from './service-map-calls.ts';

// The service map's edges joined live from stored spans (service-map-calls.ts).

/** An edge's calls, with latency quantiles exact (percentile_cont), in milliseconds. */
export interface ExactEdge extends EdgeKey {
  callCount: number;
  errorCount: number;
  p50: number;
  p95: number;
  p99: number;
}

/** An edge's calls, with latencies as a sketch, to be added to other ranges' (the rollup's). */
export interface SketchedEdge extends EdgeKey {
  callCount: number;
  errorCount: number;
  latency: LatencySketch;
}

interface EdgeColumns {
  source: string;
  target: string;
  target_type: EdgeKey['targetType'];
  connection: EdgeKey['connectionType'];
}

function keyOf(row: EdgeColumns): EdgeKey {
  return { source: row.source, target: row.target, targetType: row.target_type, connectionType: row.connection };
}

/** Runs a query over callsCte in a transaction of its own, with the planner settings it needs. */
async function withCallsPlanner<T>(db: Kysely<Database>, query: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await setCallsPlanner(trx);
    return query(trx);
  });
}

/** Every edge of one site whose calls started in the range, in byEdgeKey order; quantiles exact. */
export async function liveEdges(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<ExactEdge[]> {
  const { rows } = await withCallsPlanner(db, (trx) =>
    sql<EdgeColumns & { calls: string; errors: string; quantiles: number[] }>`
      ${callsCte(siteId, range)}
      SELECT source, target, target_type, connection, count(*) AS calls, count(*) FILTER (WHERE failed) AS errors,
        percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ns) AS quantiles
      FROM calls
      GROUP BY 1, 2, 3, 4`.execute(trx),
  );
  return rows
    .map((row) => {
      const [p50 = 0, p95 = 0, p99 = 0] = row.quantiles.map((ns) => ns / 1e6);
      return { ...keyOf(row), callCount: Number(row.calls), errorCount: Number(row.errors), p50, p95, p99 };
    })
    .sort(byEdgeKey);
}

/** liveEdges with the latencies as sketches (the RED rollups' buckets), to add to the edge rollup's, in no order. */
export async function liveEdgeSketches(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<SketchedEdge[]> {
  const { rows } = await withCallsPlanner(db, (trx) =>
    sql<EdgeColumns & { bucket: number; calls: string; errors: string }>`
      ${callsCte(siteId, range)}
      SELECT source, target, target_type, connection, red_latency_bucket(duration_ns) AS bucket,
        count(*) AS calls, count(*) FILTER (WHERE failed) AS errors
      FROM calls
      GROUP BY 1, 2, 3, 4, 5`.execute(trx),
  );
  const edges = new Map<string, SketchedEdge>();
  for (const row of rows) {
    const key = keyOf(row);
    const id = JSON.stringify(key);
    let edge = edges.get(id);
    if (edge === undefined) {
      edge = { ...key, callCount: 0, errorCount: 0, latency: new LatencySketch() };
      edges.set(id, edge);
    }
    edge.callCount += Number(row.calls);
    edge.errorCount += Number(row.errors);
    edge.latency.addToBucket(row.bucket, Number(row.calls));
  }
  return [...edges.values()];
}

import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { byEdgeKey, type EdgeKey } from './service-map-calls.ts';
import { liveEdges, liveEdgeSketches, type SketchedEdge } from './service-map-live.ts';
import { rollupCoverage, rollupEdgeSketches } from './service-map-rollup.ts';

export interface ServiceMapEdge extends EdgeKey {
  callCount: number;
  /** Calls where the callee's span or the caller's span has status ERROR. */
  errorCount: number;
  /** Milliseconds: of the callee's server or consumer span, or of the client span for a virtual target. */
  p50: number;
  p95: number;
  p99: number;
}

const MINUTE_MS = 60_000;

/**
 * Every caller → callee edge of one site whose calls started in the range
 * (service-map-calls.ts says what a call is), by source, target and
 * connection. The whole minutes the edge rollup holds are read from it and
 * the rest (the range's ragged ends, the minutes the job has not closed yet)
 * joined live from spans. Quantiles are exact when no rollup minute is read,
 * else from the RED sketch (within 2.2%).
 */
export async function serviceMapEdges(db: Kysely<Database>, siteId: string, range: TimeRange): Promise<ServiceMapEdge[]> {
  const coverage = await rollupCoverage(db);
  const rolled = coverage === null ? null : rollupPart(range, coverage);
  if (rolled === null) return liveEdges(db, siteId, range);
  const live = [
    { start: range.start, end: rolled.start },
    { start: rolled.end, end: range.end },
  ].filter((part) => part.start.getTime() < part.end.getTime());
  const parts = await Promise.all([rollupEdgeSketches(db, siteId, rolled), ...live.map((part) => liveEdgeSketches(db, siteId, part))]);
  return merged(parts.flat());
}

/** The whole minutes of the range that the rollup holds, or null when there are none. */
export function rollupPart(range: TimeRange, coverage: TimeRange): TimeRange | null {
  const start = Math.max(Math.ceil(range.start.getTime() / MINUTE_MS) * MINUTE_MS, coverage.start.getTime());
  const end = Math.min(Math.floor(range.end.getTime() / MINUTE_MS) * MINUTE_MS, coverage.end.getTime());
  return start < end ? { start: new Date(start), end: new Date(end) } : null;
}

function merged(parts: SketchedEdge[]): ServiceMapEdge[] {
  const edges = new Map<string, SketchedEdge>();
  for (const part of parts) {
    const id = JSON.stringify([part.source, part.target, part.targetType, part.connectionType]);
    const edge = edges.get(id);
    if (edge === undefined) {
      edges.set(id, { ...part });
    } else {
      edge.callCount += part.callCount;
      edge.errorCount += part.errorCount;
      edge.latency.merge(part.latency);
    }
  }
  const quantileMs = (edge: SketchedEdge, q: number) => (edge.latency.quantileNs(q) ?? 0) / 1e6;
  return [...edges.values()]
    .map(({ latency, ...key }) => {
      const edge = { ...key, latency };
      return { ...key, p50: quantileMs(edge, 0.5), p95: quantileMs(edge, 0.95), p99: quantileMs(edge, 0.99) };
    })
    .sort(byEdgeKey);
}

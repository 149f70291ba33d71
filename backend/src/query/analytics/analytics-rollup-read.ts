import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { computeRollups } from '../../rollups/analytics-quarter-rollups.ts';
import {
  DAY_GRAIN,
  HOUR_GRAIN,
  QUARTER_GRAIN,
  rollupRowFromStored,
  TOTAL_DIMENSION,
  type AnalyticsRollupRow,
  type RollupGrain,
  type StoredRollupRow,
} from '../../rollups/analytics-rollup-rows.ts';
import { VisitorSketch } from '../../rollups/visitor-sketch.ts';
import { isTimeDimension, valueDimension } from './analytics-dimensions.ts';
import { valueTestSql } from './analytics-filters.ts';
import type { GroupCounts } from './analytics-metrics.ts';
import type { Group, GroupPlan } from './analytics-plan.ts';
import { timeBuckets } from './analytics-range.ts';
import type { AnalyticsFilter } from './analytics-request.ts';

// The rollup path: a query of at most one rolled-up dimension (plus time),
// filtered on that dimension only, read from analytics_rollups. The range is
// cut at the zone's bucket edges, and each piece into whole UTC days and
// hours, read from stored rows, and quarter hours at the edges (zones offset
// by :30 or :45, ranges starting at a quarter), computed from raw rows with
// the rollup job's own function, so any zone whose offset is a multiple of
// 15 minutes is exact. An hour holding a quarter still marked dirty is
// computed from raw rows too (and its day read as hours), so the answer
// never waits for the job.

const quarterMs = QUARTER_GRAIN * 60_000;
const hourMs = HOUR_GRAIN * 60_000;
const dayMs = DAY_GRAIN * 60_000;

type MatchFilter = Extract<AnalyticsFilter, { kind: 'match' }>;

/** The rolled-up dimension a plan reads ('' for the whole site), or null when only the raw path can answer it. */
export function rollupDimensionOf(plan: GroupPlan): string | null {
  const values = plan.dimensions.filter((name) => !isTimeDimension(name));
  if (values.length > 1) return null;
  const filters = plan.filters;
  if (!filters.every((filter): filter is MatchFilter => filter.kind === 'match')) return null;
  const named = new Set([...values, ...filters.map((filter) => filter.dimension)]);
  if (named.size > 1) return null;
  const [dimension] = [...named];
  if (dimension !== undefined && valueDimension(dimension)?.rolledUp !== true) return null;
  // Rollups have quarter-hour edges: the range and every time bucket must fall on them (the site total's too).
  const edges = [plan.range.start.getTime(), plan.range.end.getTime()];
  if (plan.grain !== null) for (const bucket of timeBuckets(plan.range, plan.grain, plan.timeZone)) edges.push(bucket.start);
  if (edges.some((edge) => edge % quarterMs !== 0)) return null;
  return dimension ?? TOTAL_DIMENSION;
}

interface Piece {
  start: number;
  grain: RollupGrain;
  label: string;
  /** Computed from raw rows rather than read from analytics_rollups. */
  live: boolean;
}

/** Whole UTC days, then hours, then quarters of [start, end); an hour with a dirty quarter is live, its day read as hours. */
function piecesOf(start: number, end: number, label: string, dirty: ReadonlySet<number>): Piece[] {
  const hasDirty = (from: number, length: number): boolean => {
    for (let quarter = from; quarter < from + length; quarter += quarterMs) if (dirty.has(quarter)) return true;
    return false;
  };
  const pieces: Piece[] = [];
  for (let cursor = start; cursor < end; ) {
    if (cursor % dayMs === 0 && cursor + dayMs <= end && !hasDirty(cursor, dayMs)) {
      pieces.push({ start: cursor, grain: DAY_GRAIN, label, live: false });
      cursor += dayMs;
    } else if (cursor % hourMs === 0 && cursor + hourMs <= end) {
      pieces.push({ start: cursor, grain: HOUR_GRAIN, label, live: hasDirty(cursor, hourMs) });
      cursor += hourMs;
    } else {
      pieces.push({ start: cursor, grain: QUARTER_GRAIN, label, live: true });
      cursor += quarterMs;
    }
  }
  return pieces;
}

interface Accumulator {
  dimensions: string[];
  visitors: VisitorSketch;
  visitSketch: VisitorSketch | null;
  counts: GroupCounts;
}

/** Groups of the plan, read from rollups (plus dirty quarters computed live). `dimension` is rollupDimensionOf(plan). */
export async function rollupGroups(db: Kysely<Database>, plan: GroupPlan, dimension: string): Promise<Array<Group<GroupCounts>>> {
  const { rows: dirtyRows } = await sql<{ bucket: Date }>`
    SELECT bucket FROM analytics_dirty_buckets
    WHERE site_id = ${plan.siteId} AND bucket >= ${plan.range.start} AND bucket < ${plan.range.end}`.execute(db);
  const dirty = new Set(dirtyRows.map((row) => row.bucket.getTime()));

  const spans = plan.grain === null
    ? [{ label: '', start: plan.range.start.getTime(), end: plan.range.end.getTime() }]
    : timeBuckets(plan.range, plan.grain, plan.timeZone);
  const pieces = spans.flatMap((span) => piecesOf(span.start, span.end, span.label, dirty));
  const labelOf = new Map<string, string>(pieces.map((piece) => [`${piece.grain}:${piece.start}`, piece.label]));
  const startsOf = (grain: RollupGrain, live: boolean): Date[] =>
    pieces.filter((piece) => piece.grain === grain && piece.live === live).map((piece) => new Date(piece.start));

  const filters = plan.filters as readonly MatchFilter[];
  const valueTest = (value: RawBuilder<string>) =>
    filters.length === 0 ? sql<boolean>`true` : sql.join(filters.map((filter) => {
      const test = valueTestSql(filter.op, filter.dimension, value, filter.values);
      return filter.op.endsWith('_not') ? sql<boolean>`(NOT ${test})` : test;
    }), sql` AND `);

  const { rows: stored } = await sql<StoredRollupRow>`
    SELECT bucket, grain, dimension, value, visitors, visit_sketch, visits, pageviews, events, bounces, duration_ms
    FROM analytics_rollups r
    WHERE r.site_id = ${plan.siteId} AND r.dimension = ${dimension}
      AND ((r.grain = ${DAY_GRAIN} AND r.bucket = ANY(${startsOf(DAY_GRAIN, false)}::timestamptz[]))
        OR (r.grain = ${HOUR_GRAIN} AND r.bucket = ANY(${startsOf(HOUR_GRAIN, false)}::timestamptz[])))
      AND ${valueTest(sql<string>`r.value`)}`.execute(db);
  const rows: AnalyticsRollupRow[] = stored.map(rollupRowFromStored);

  const live: AnalyticsRollupRow[] = [];
  for (const grain of [HOUR_GRAIN, QUARTER_GRAIN] as const) {
    const starts = startsOf(grain, true);
    if (starts.length > 0) live.push(...(await computeRollups(db, plan.siteId, grain, starts, dimension)));
  }
  if (live.length > 0) {
    // The same value test, run by PostgreSQL on the live rows' values, so `matches` means the same on both.
    const values = [...new Set(live.map((row) => row.value))];
    const { rows: kept } = values.length === 0 || filters.length === 0
      ? { rows: values.map((value) => ({ value })) }
      : await sql<{ value: string }>`SELECT v.value FROM unnest(${values}::text[]) AS v(value) WHERE ${valueTest(sql<string>`v.value`)}`.execute(db);
    const keep = new Set(kept.map((row) => row.value));
    rows.push(...live.filter((row) => keep.has(row.value)));
  }

  const hasTime = plan.grain !== null;
  const hasValue = dimension !== TOTAL_DIMENSION && plan.dimensions.some((name) => !isTimeDimension(name));
  const groups = new Map<string, Accumulator>();
  for (const row of rows) {
    const label = labelOf.get(`${row.grain}:${row.bucket.getTime()}`);
    if (label === undefined) continue;
    const dimensions = plan.dimensions.map((name) => (isTimeDimension(name) ? label : row.value));
    const key = JSON.stringify([hasTime ? label : '', hasValue ? row.value : '']);
    let group = groups.get(key);
    if (group === undefined) {
      group = { dimensions, visitors: VisitorSketch.empty(), visitSketch: null, counts: { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0 } };
      groups.set(key, group);
    }
    group.visitors.mergeFrom(row.visitors);
    if (row.visitSketch !== null) {
      group.visitSketch ??= VisitorSketch.empty();
      group.visitSketch.mergeFrom(row.visitSketch);
    }
    group.counts.visits += row.visits;
    group.counts.pageviews += row.pageviews;
    group.counts.events += row.events;
    group.counts.bounces += row.bounces;
    group.counts.durationMs += row.durationMs;
  }
  const isEventDimension = valueDimension(dimension)?.kind === 'event';
  return [...groups.values()].map((group) => ({
    dimensions: group.dimensions,
    counts: {
      ...group.counts,
      visitors: Math.round(group.visitors.estimate()),
      visits: isEventDimension ? Math.round(group.visitSketch?.estimate() ?? 0) : group.counts.visits,
    },
  }));
}

import { VisitorSketch } from './visitor-sketch.ts';
import type { Selectable } from 'kysely';
import type { AnalyticsRollupsTable } from '../db/tables/analytics-rollups.ts';

// The analytics rollup row as code handles it (analytics_rollups holds the
// same with serialized sketches), the bucket grains, and how coarser rows are
// made from finer ones. Pure: no database.

/**
 * Bucket lengths in minutes. Stored: UTC hours and UTC days. Quarter hours
 * (the edges of zones offset by :30 or :45) are only computed from raw rows
 * when a query needs them, as are hours still marked dirty.
 */
export const QUARTER_GRAIN = 15;
export const HOUR_GRAIN = 60;
export const DAY_GRAIN = 1440;
export type RollupGrain = typeof QUARTER_GRAIN | typeof HOUR_GRAIN | typeof DAY_GRAIN;
/** The grains computed straight from raw rows. */
export type LiveGrain = typeof QUARTER_GRAIN | typeof HOUR_GRAIN;

/** The dimension of the whole-site row (its value is '' too). */
export const TOTAL_DIMENSION = '';

/**
 * One bucket's numbers for one dimension value (or, with dimension and value
 * '', the whole site). Which numbers a row carries depends on its dimension:
 * - total: visitors of the bucket's events; visits, bounces and duration of
 *   the visits started in it; pageviews and events (engagement left out) of
 *   its events.
 * - visit:*: the visits started in the bucket with that value; pageviews and
 *   events are those visits' own counts (which include engagement events).
 * - event:*: the bucket's events with that value; visitSketch holds their
 *   session IDs (visits is 0: count the sketch), bounces and duration are 0.
 */
export interface AnalyticsRollupRow {
  /** The bucket's UTC start. */
  bucket: Date;
  grain: RollupGrain;
  dimension: string;
  value: string;
  visitors: VisitorSketch;
  /** Event dimensions only: the distinct sessions; null for total and visit rows. */
  visitSketch: VisitorSketch | null;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  durationMs: number;
}

const minuteMs = 60_000;

/** The start of the `grain`-minute UTC bucket holding `time`. */
export function bucketStart(time: Date, grain: RollupGrain): Date {
  const size = grain * minuteMs;
  return new Date(Math.floor(time.getTime() / size) * size);
}

/**
 * Rows of a coarser grain from finer rows: per (bucketOf(row.bucket),
 * dimension, value), counts added and sketches merged. The input rows are
 * left as they are. Rows come out ordered by bucket, dimension and value.
 */
export function mergeRollupRows(rows: Iterable<AnalyticsRollupRow>, grain: RollupGrain, bucketOf: (bucket: Date) => Date): AnalyticsRollupRow[] {
  const merged = new Map<string, AnalyticsRollupRow>();
  for (const row of rows) {
    const bucket = bucketOf(row.bucket);
    // Unit separator: no dimension name holds it, so the key is unambiguous.
    const key = `${bucket.getTime()}\u001f${row.dimension}\u001f${row.value}`;
    let into = merged.get(key);
    if (into === undefined) {
      into = {
        bucket,
        grain,
        dimension: row.dimension,
        value: row.value,
        visitors: VisitorSketch.empty(),
        visitSketch: null,
        visits: 0,
        pageviews: 0,
        events: 0,
        bounces: 0,
        durationMs: 0,
      };
      merged.set(key, into);
    }
    into.visitors.mergeFrom(row.visitors);
    if (row.visitSketch !== null) {
      into.visitSketch ??= VisitorSketch.empty();
      into.visitSketch.mergeFrom(row.visitSketch);
    }
    into.visits += row.visits;
    into.pageviews += row.pageviews;
    into.events += row.events;
    into.bounces += row.bounces;
    into.durationMs += row.durationMs;
  }
  return [...merged.values()].sort(compareRollupRows);
}

/** Orders rows by bucket, then dimension, then value (code-point order, as Map keys and tests expect). */
export function compareRollupRows(a: AnalyticsRollupRow, b: AnalyticsRollupRow): number {
  return a.bucket.getTime() - b.bucket.getTime() || compareText(a.dimension, b.dimension) || compareText(a.value, b.value);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An analytics_rollups row as read from the table (int8 as strings, sketches serialized). */
export type StoredRollupRow = Omit<Selectable<AnalyticsRollupsTable>, 'site_id'>;

/** A stored row as code handles it: sketches deserialized, counts as numbers. */
export function rollupRowFromStored(stored: StoredRollupRow): AnalyticsRollupRow {
  if (stored.grain !== QUARTER_GRAIN && stored.grain !== HOUR_GRAIN && stored.grain !== DAY_GRAIN) throw new Error(`analytics rollup of unknown grain ${stored.grain}`);
  return {
    bucket: stored.bucket,
    grain: stored.grain,
    dimension: stored.dimension,
    value: stored.value,
    visitors: VisitorSketch.deserialize(stored.visitors),
    visitSketch: stored.visit_sketch === null ? null : VisitorSketch.deserialize(stored.visit_sketch),
    visits: Number(stored.visits),
    pageviews: Number(stored.pageviews),
    events: Number(stored.events),
    bounces: Number(stored.bounces),
    durationMs: Number(stored.duration_ms),
  };
}

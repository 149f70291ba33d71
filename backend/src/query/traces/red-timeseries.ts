import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { minuteRange, rollupPieces, stepBuckets } from './red-ranges.ts';
import { readRed, redStats, type RedStats } from './red-read.ts';

/** Steps are whole minutes (the rollups' granularity) … */
export const MIN_RED_STEP_MS = 60_000;
/** … and a series has at most this many. */
export const MAX_RED_POINTS = 1500;

export interface RedTimeseriesQuery {
  service: string;
  /** Only this span name's spans (of any kind). */
  operation?: string;
  range: TimeRange;
  /** A multiple of MIN_RED_STEP_MS. */
  stepMs: number;
}

export interface RedPoint extends RedStats {
  /** The step's first instant. */
  time: Date;
}

export interface RedTimeseries {
  /** The minute-aligned range the steps cut, from its start. */
  range: TimeRange;
  stepMs: number;
  /** The steps with spans, in time order; a step without spans is left out. */
  points: RedPoint[];
}

/** How many steps of `stepMs` cut the minutes `range` touches. */
export function redPointCount(range: TimeRange, stepMs: number): number {
  const minutes = minuteRange(range);
  return Math.ceil((minutes.end.getTime() - minutes.start.getTime()) / stepMs);
}

/**
 * A service's (or one operation's) RED figures per step over the minutes
 * `range` touches, from the RED rollups: each step reads hour rows for its
 * whole hours and minute rows for the rest. Rates are per second of the step
 * (the last step may be shorter).
 */
export async function redTimeseries(db: Kysely<Database>, siteId: string, query: RedTimeseriesQuery): Promise<RedTimeseries> {
  const { stepMs } = query;
  if (!Number.isSafeInteger(stepMs) || stepMs < MIN_RED_STEP_MS || stepMs % MIN_RED_STEP_MS !== 0) {
    throw new RangeError(`a step must be whole minutes, got ${stepMs} ms`);
  }
  if (redPointCount(query.range, stepMs) > MAX_RED_POINTS) throw new RangeError(`at most ${MAX_RED_POINTS} steps`);
  const range = minuteRange(query.range);
  const buckets = stepBuckets(range, stepMs);
  const filter = query.operation === undefined ? { service: query.service } : { service: query.service, operation: query.operation };
  const groups = await readRed(db, siteId, rollupPieces(buckets), filter, { by: 'step', origin: range.start, stepMs });
  const points = groups
    .sort((a, b) => a.step - b.step)
    .flatMap((group) => {
      const bucket = buckets[group.step];
      if (bucket === undefined) return [];
      const seconds = (bucket.end.getTime() - bucket.start.getTime()) / 1000;
      return [{ time: bucket.start, ...redStats(group.totals, seconds) }];
    });
  return { range, stepMs, points };
}

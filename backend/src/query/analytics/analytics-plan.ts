import type { TimeRange } from '../time-range.ts';
import { grainOfTimeDimension, isTimeDimension, valueDimension } from './analytics-dimensions.ts';
import type { Goal } from './analytics-goals-read.ts';
import { defaultTimeGrain, type TimeGrain } from './analytics-range.ts';
import { readsEvents, type AnalyticsFilter } from './analytics-request.ts';

// What one pass over the data computes, whichever path reads it: groups by
// the dimensions, within a UTC range, in a zone, under filters.

/** What the groups count (see analytics-metrics.ts): the whole site, visits, or events. */
export type QueryLevel = 'site' | 'visits' | 'events';

export interface GroupPlan {
  siteId: string;
  range: TimeRange;
  timeZone: string;
  /** The query's dimensions in order; a time dimension is grouped by `grain`. */
  dimensions: readonly string[];
  grain: TimeGrain | null;
  filters: readonly AnalyticsFilter[];
  goals: readonly Goal[];
}

/** One group: its dimension values (time as its label, others as stored) and its counts. */
export interface Group<Counts> {
  dimensions: string[];
  counts: Counts;
}

export function planGroups(
  base: Omit<GroupPlan, 'grain'>,
): GroupPlan {
  const time = base.dimensions.find(isTimeDimension);
  const grain = time === undefined ? null : (grainOfTimeDimension(time) ?? defaultTimeGrain(base.range));
  return { ...base, grain };
}

export function levelOf(plan: Pick<GroupPlan, 'dimensions' | 'filters'>): QueryLevel {
  if (readsEvents(plan)) return 'events';
  const valueDimensions = plan.dimensions.filter((name) => valueDimension(name) !== null);
  return valueDimensions.length === 0 && plan.filters.length === 0 ? 'site' : 'visits';
}

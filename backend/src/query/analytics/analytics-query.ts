import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { displayValue, isTimeDimension } from './analytics-dimensions.ts';
import { readGoals, type Goal } from './analytics-goals-read.ts';
import { emptyCounts, metricValue, type AnalyticsMetric, type GroupCounts } from './analytics-metrics.ts';
import { planGroups, type Group, type GroupPlan } from './analytics-plan.ts';
import { previousPeriod, resolveDateRange, timeBuckets, type TimeGrain } from './analytics-range.ts';
import { rawGroups } from './analytics-raw.ts';
import { rollupDimensionOf, rollupGroups } from './analytics-rollup-read.ts';
import { matchFilters, type AnalyticsFilter, type AnalyticsQuery } from './analytics-request.ts';

// One analytics query, start to end: the site's zone, the range, the groups
// (from rollups when the query allows it, else from raw rows), conversion
// rates against the same groups without the goal, the previous period, order
// and pagination, in the Plausible Stats API v2 answer shape.

/** Which path computes the groups: 'auto' takes rollups whenever the query allows (tests force one). */
export type AnalyticsPath = 'auto' | 'raw' | 'rollups';

export interface AnalyticsQueryOptions {
  now?: Date;
  path?: AnalyticsPath;
}

export interface AnalyticsResultRow {
  dimensions: string[];
  metrics: number[];
  comparison?: { dimensions: string[]; metrics: number[]; change: Array<number | null> };
}

export interface AnalyticsAnswer {
  results: AnalyticsResultRow[];
  meta: {
    time_zone: string;
    date_range: [string, string];
    comparison_date_range?: [string, string];
    total_rows: number;
    /** Where the groups came from: 'rollups' or 'raw'. */
    source: 'rollups' | 'raw';
  };
  query: {
    site_id: string;
    date_range: [string, string];
    metrics: AnalyticsMetric[];
    dimensions: string[];
    filters: unknown[];
    order_by: Array<[string, 'asc' | 'desc']>;
    include: { compare?: 'previous_period' };
    pagination: { limit: number; offset: number };
  };
}

/** The site's IANA zone; null when there is no such site. */
export async function siteTimeZone(db: Kysely<Database>, siteId: string): Promise<string | null> {
  const row = await db.selectFrom('sites').select('timezone').where('id', '=', siteId).executeTakeFirst();
  return row?.timezone ?? null;
}

async function earliestData(db: Kysely<Database>, siteId: string): Promise<Date | null> {
  const { rows } = await sql<{ earliest: Date | null }>`
    SELECT least(
      (SELECT min(started_at) FROM sessions WHERE site_id = ${siteId}),
      (SELECT min(bucket) FROM analytics_rollups WHERE site_id = ${siteId})) AS earliest`.execute(db);
  return rows[0]?.earliest ?? null;
}

interface Computed {
  groups: Map<string, Group<GroupCounts>>;
  bases: Map<string, number>;
  source: 'rollups' | 'raw';
}

const keyOf = (values: readonly string[]): string => JSON.stringify(values);

/** The dimensions and filters with the goal taken out: what conversion_rate divides by. */
function withoutGoal(filters: readonly AnalyticsFilter[]): AnalyticsFilter[] {
  const strip = (filter: AnalyticsFilter): AnalyticsFilter | null => {
    if (filter.kind === 'match') return filter.dimension === 'event:goal' ? null : filter;
    if (filter.kind === 'not') {
      const inner = strip(filter.filter);
      return inner === null ? null : { kind: 'not', filter: inner };
    }
    const kept = filter.filters.map(strip).filter((item): item is AnalyticsFilter => item !== null);
    return kept.length === 0 ? null : { kind: filter.kind, filters: kept };
  };
  return filters.map(strip).filter((item): item is AnalyticsFilter => item !== null);
}

async function groupsOf(db: Kysely<Database>, plan: GroupPlan, path: AnalyticsPath): Promise<{ groups: Array<Group<GroupCounts>>; source: 'rollups' | 'raw' }> {
  const dimension = path === 'raw' ? null : rollupDimensionOf(plan);
  if (path === 'rollups' && dimension === null) throw new Error('this query cannot be read from rollups');
  if (dimension !== null) return { groups: await rollupGroups(db, plan, dimension), source: 'rollups' };
  return { groups: await rawGroups(db, plan), source: 'raw' };
}

async function compute(db: Kysely<Database>, plan: GroupPlan, metrics: readonly AnalyticsMetric[], path: AnalyticsPath): Promise<Computed> {
  const { groups, source } = await groupsOf(db, plan, path);
  const byKey = new Map(groups.map((group) => [keyOf(group.dimensions), group]));
  if (plan.dimensions.length === 0 && byKey.size === 0) byKey.set(keyOf([]), { dimensions: [], counts: emptyCounts() });
  const bases = new Map<string, number>();
  if (metrics.includes('conversion_rate')) {
    const goalIndex = plan.dimensions.indexOf('event:goal');
    const baseDimensions = plan.dimensions.filter((name) => name !== 'event:goal');
    const base = await groupsOf(db, { ...plan, dimensions: baseDimensions, filters: withoutGoal(plan.filters) }, path === 'rollups' ? 'auto' : path);
    const baseByKey = new Map(base.groups.map((group) => [keyOf(group.dimensions), group.counts.visitors]));
    for (const [key, group] of byKey) {
      const baseKey = keyOf(group.dimensions.filter((_, i) => i !== goalIndex));
      bases.set(key, baseByKey.get(baseKey) ?? 0);
    }
  }
  return { groups: byKey, bases, source };
}

const values = (group: Group<GroupCounts>, key: string, metrics: readonly AnalyticsMetric[], bases: Map<string, number>): number[] =>
  metrics.map((metric) => metricValue(metric, group.counts, bases.get(key) ?? 0));

/** Plausible's change: percent change, or for rates the difference in points; null when the old value is 0. */
function change(metric: AnalyticsMetric, now: number, before: number): number | null {
  if (metric === 'bounce_rate' || metric === 'conversion_rate') return Math.round((now - before) * 100) / 100;
  if (before === 0) return now === 0 ? 0 : null;
  return Math.round(((now - before) / before) * 100);
}

function isoRange(range: TimeRange): [string, string] {
  return [range.start.toISOString(), range.end.toISOString()];
}

/** The answer to a checked query on the key's site. */
export async function runAnalyticsQuery(
  db: Kysely<Database>,
  siteId: string,
  timeZone: string,
  query: AnalyticsQuery,
  options: AnalyticsQueryOptions = {},
): Promise<AnalyticsAnswer> {
  const now = options.now ?? new Date();
  const path = options.path ?? 'auto';
  await checkRegularExpressions(db, query.filters);
  const earliest = query.dateRange === 'all' ? await earliestData(db, siteId) : null;
  const range = resolveDateRange(query.dateRange, { now, timeZone, earliest });
  const usesGoals = query.dimensions.includes('event:goal') || matchFilters(query.filters).some((filter) => filter.dimension === 'event:goal');
  const goals: Goal[] = usesGoals ? await readGoals(db, siteId) : [];
  const plan = planGroups({ siteId, range, timeZone, dimensions: query.dimensions, filters: query.filters, goals });
  const current = await compute(db, plan, query.metrics, path);

  let previous: Computed | null = null;
  let previousRange: TimeRange | null = null;
  if (query.compare) {
    previousRange = previousPeriod(range);
    previous = await compute(db, { ...plan, range: previousRange }, query.metrics, path);
  }
  const timeIndex = query.dimensions.findIndex(isTimeDimension);
  const previousLabel = previousRange === null || timeIndex < 0 || plan.grain === null ? null : shiftedLabels(range, previousRange, plan.grain, timeZone);

  const rows: Array<{ group: Group<GroupCounts>; metrics: number[]; comparison?: AnalyticsResultRow['comparison'] }> = [];
  for (const [key, group] of current.groups) {
    const metrics = values(group, key, query.metrics, current.bases);
    const row: (typeof rows)[number] = { group, metrics };
    if (previous !== null) {
      const before = group.dimensions.map((value, i) => (i === timeIndex ? (previousLabel?.get(value) ?? '') : value));
      const beforeKey = keyOf(before);
      const found = previous.groups.get(beforeKey) ?? { dimensions: before, counts: emptyCounts() };
      const beforeMetrics = values(found, beforeKey, query.metrics, previous.bases);
      row.comparison = {
        dimensions: before.map((value, i) => display(query.dimensions[i]!, value)),
        metrics: beforeMetrics,
        change: query.metrics.map((metric, i) => change(metric, metrics[i]!, beforeMetrics[i]!)),
      };
    }
    rows.push(row);
  }
  rows.sort(comparator(query));
  const page = rows.slice(query.offset, query.offset + query.limit);
  return {
    results: page.map((row) => ({
      dimensions: row.group.dimensions.map((value, i) => display(query.dimensions[i]!, value)),
      metrics: row.metrics,
      ...(row.comparison === undefined ? {} : { comparison: row.comparison }),
    })),
    meta: {
      time_zone: timeZone,
      date_range: isoRange(range),
      ...(previousRange === null ? {} : { comparison_date_range: isoRange(previousRange) }),
      total_rows: rows.length,
      source: current.source,
    },
    query: {
      site_id: siteId,
      date_range: isoRange(range),
      metrics: query.metrics,
      dimensions: query.dimensions,
      filters: query.filters.map(filterOut),
      order_by: query.orderBy.map((order) => [order.key, order.direction]),
      include: query.compare ? { compare: 'previous_period' } : {},
      pagination: { limit: query.limit, offset: query.offset },
    },
  };
}

function display(dimension: string, value: string): string {
  return isTimeDimension(dimension) || dimension === 'event:goal' ? value : displayValue(dimension, value);
}

/** The i-th bucket of the range ↔ the i-th bucket of the previous period. */
function shiftedLabels(range: TimeRange, previous: TimeRange, grain: TimeGrain, timeZone: string): Map<string, string> {
  const now = timeBuckets(range, grain, timeZone);
  const before = timeBuckets(previous, grain, timeZone);
  return new Map(now.map((bucket, i) => [bucket.label, before[i]?.label ?? '']));
}

/** The filters as the request wrote them. */
function filterOut(filter: AnalyticsFilter): unknown {
  if (filter.kind === 'match') return [filter.op, filter.dimension, filter.values];
  if (filter.kind === 'not') return ['not', filterOut(filter.filter)];
  return [filter.kind, filter.filters.map(filterOut)];
}

type SortRow = { group: Group<GroupCounts>; metrics: number[] };

/**
 * order_by first; then, as Plausible does, time ascending and the first
 * metric descending; then the dimension values ascending, so equal rows
 * always come in the same order.
 */
function comparator(query: AnalyticsQuery): (a: SortRow, b: SortRow) => number {
  const keys: Array<{ index: number; metric: boolean; direction: 1 | -1 }> = [];
  const add = (key: string, direction: 'asc' | 'desc'): void => {
    const metric = query.metrics.indexOf(key as AnalyticsMetric);
    const index = metric >= 0 ? metric : query.dimensions.indexOf(key);
    if (index >= 0) keys.push({ index, metric: metric >= 0, direction: direction === 'asc' ? 1 : -1 });
  };
  for (const order of query.orderBy) add(order.key, order.direction);
  if (query.orderBy.length === 0) {
    const time = query.dimensions.find(isTimeDimension);
    if (time !== undefined) add(time, 'asc');
    add(query.metrics[0]!, 'desc');
  }
  query.dimensions.forEach((name) => add(name, 'asc'));
  return (a, b) => {
    for (const key of keys) {
      const x = key.metric ? a.metrics[key.index]! : a.group.dimensions[key.index]!;
      const y = key.metric ? b.metrics[key.index]! : b.group.dimensions[key.index]!;
      if (x < y) return -key.direction;
      if (x > y) return key.direction;
    }
    return 0;
  };
}

/**
 * Compiles every `matches` pattern once, so an invalid one fails (SQLSTATE
 * 2201B) even when no row would have been tested against it.
 */
async function checkRegularExpressions(db: Kysely<Database>, filters: readonly AnalyticsFilter[]): Promise<void> {
  const patterns = matchFilters(filters)
    .filter((filter) => filter.op === 'matches' || filter.op === 'matches_not')
    .flatMap((filter) => filter.values);
  if (patterns.length === 0) return;
  await sql`SELECT count(*) FROM unnest(${patterns}::text[]) AS p(pattern) WHERE '' ~ p.pattern`.execute(db);
}

/** An SQLSTATE of a regular expression PostgreSQL cannot compile (a `matches` filter), answered as a 400. */
export function isInvalidRegexError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '2201B';
}

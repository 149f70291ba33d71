import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/database.ts';
import { compareRollupRows, QUARTER_GRAIN, TOTAL_DIMENSION, type AnalyticsRollupRow, type LiveGrain } from './analytics-rollup-rows.ts';
import { VisitorSketch } from './visitor-sketch.ts';
import { visitColumns } from '../query/analytics/visit-dimensions.ts';

// The rollup rows of a site's UTC hours (what the analytics-rollups job
// stores) or quarter hours (what a query needs at a :30 or :45 zone's edges),
// computed from its raw events and sessions, so the job and a query read the
// same numbers. Two queries per group of up to a day of buckets (events,
// visits) return per (bucket, dimension, value) the counts and the visitor
// and session IDs as one bytea each (string_agg(int8send(id)), no DISTINCT:
// the sketch de-duplicates, and PostgreSQL then needs no sort per group nor
// pg a decimal string per ID); the sketches are built here. The buckets are
// time ranges in the statement, not an unnest() joined to events: the latter
// planned every partition and scanned per bucket, about 30 ms per sparse
// quarter; now a day of 33k events takes about 250 ms (2 vCPUs, JIT off).

/** Event dimensions: event:page (pageviews' path), event:name (every event but engagement), event:props:KEY (custom events). */
export const EVENT_PAGE = 'event:page';
export const EVENT_NAME = 'event:name';
export const EVENT_PROPS_PREFIX = 'event:props:';

const empty = new Uint8Array(0);
const dayMs = 86_400_000;

interface EventGroup {
  bucket: Date;
  dimension: string;
  value: string;
  visitor_ids: Buffer;
  session_ids: Buffer | null;
  pageviews: string;
  events: string;
}

interface VisitGroup {
  bucket: Date;
  dimension: string;
  value: string;
  visitor_ids: Buffer | null;
  visits: string;
  bounces: string;
  duration_ms: string;
  pageviews: string;
  events: string;
}

/**
 * The rows of `grain` (15: quarter hours, 60: UTC hours) at `buckets` (their
 * UTC starts) of a site, from raw events and sessions, ordered by bucket,
 * dimension and value. A bucket with neither events nor visits has no rows.
 * Events stored twice (an export retried after its commit) count once: they
 * are told apart by event ID. Every value is a row of its own, '' (none)
 * included; readers choose what to show. With `only`, the rows of that one
 * dimension ('' the site total), and only the queries and groups it needs (a
 * query computing its live buckets).
 */
export async function computeRollups(db: Kysely<Database>, siteId: string, grain: LiveGrain, buckets: readonly Date[], only?: string): Promise<AnalyticsRollupRow[]> {
  if (buckets.length === 0) return [];
  const groups = spanGroups(buckets, grain);
  const rows = new Map<string, AnalyticsRollupRow>();
  const rowOf = (bucket: Date, dimension: string, value: string): AnalyticsRollupRow => {
    const key = `${bucket.getTime()}\u001f${dimension}\u001f${value}`;
    let row = rows.get(key);
    if (row === undefined) {
      row = { bucket, grain, dimension, value, visitors: VisitorSketch.empty(), visitSketch: null, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0 };
      rows.set(key, row);
    }
    return row;
  };
  const addEvents = (eventGroups: readonly EventGroup[]): void => {
    for (const group of eventGroups) {
      const row = rowOf(group.bucket, group.dimension, group.value);
      row.visitors = VisitorSketch.ofInt8Bytes(group.visitor_ids);
      if (group.dimension !== TOTAL_DIMENSION) row.visitSketch = VisitorSketch.ofInt8Bytes(group.session_ids ?? empty);
      row.pageviews = Number(group.pageviews);
      row.events = Number(group.events);
    }
  };
  const addVisits = (visitGroups: readonly VisitGroup[]): void => {
    for (const group of visitGroups) {
      const row = rowOf(group.bucket, group.dimension, group.value);
      row.visits = Number(group.visits);
      row.bounces = Number(group.bounces);
      row.durationMs = Number(group.duration_ms);
      // The total row's visitors, pageviews and events are its events'.
      if (group.dimension === TOTAL_DIMENSION) continue;
      row.visitors = VisitorSketch.ofInt8Bytes(group.visitor_ids ?? empty);
      row.pageviews = Number(group.pageviews);
      row.events = Number(group.events);
    }
  };

  const read = async (trx: Kysely<Database>): Promise<void> => {
    // The row estimates of the lateral dimension joins are far too high, and
    // the JIT compilation they trigger takes longer than the queries. Within
    // a caller's transaction this holds until its end. (work_mem is the
    // caller's: the job raises it, a query keeps the API pool's.)
    await sql`SET LOCAL jit = off`.execute(trx);
    // The buckets as time ranges in the statement: the planner sees their
    // values (pg's unnamed statements are planned with their parameters) and
    // reads only those days' partitions, by index range. The sketches of one
    // query's groups are built while PostgreSQL runs the next query.
    // (pg queues a connection's queries; a failed one rejects where awaited,
    // and must not count as unhandled before that.)
    let pendingVisits: Promise<VisitGroup[]> | null = null;
    for (const spans of groups) {
      const pendingEvents = readEventGroups(trx, siteId, grain, spans, only);
      pendingEvents.catch(() => undefined);
      if (pendingVisits !== null) addVisits(await pendingVisits);
      const events = await pendingEvents;
      pendingVisits = readVisitGroups(trx, siteId, grain, spans, only);
      pendingVisits.catch(() => undefined);
      addEvents(events);
    }
    if (pendingVisits !== null) addVisits(await pendingVisits);
  };
  if (db.isTransaction) await read(db);
  else await db.transaction().execute(read);
  return [...rows.values()].sort(compareRollupRows);
}

/** The rows of quarter hours `buckets`: computeRollups at grain 15. */
export async function computeQuarterRollups(db: Kysely<Database>, siteId: string, buckets: readonly Date[]): Promise<AnalyticsRollupRow[]> {
  return computeRollups(db, siteId, QUARTER_GRAIN, buckets);
}

interface Span {
  start: string;
  end: string;
}

/**
 * The buckets as time ranges (adjacent ones joined), in order, in groups of
 * at most a day's worth of buckets: one pair of queries per group, so a
 * query sorts at most a day of rows, and a few scattered buckets (the
 * quarter-hour edges of a month in a :45 zone) take one query, not one each.
 */
function spanGroups(buckets: readonly Date[], grain: LiveGrain): Span[][] {
  const lengthMs = grain * 60_000;
  const starts = [...new Set(buckets.map((bucket) => Math.floor(bucket.getTime() / lengthMs) * lengthMs))].sort((a, b) => a - b);
  const groups: Array<Array<{ start: number; end: number }>> = [];
  let group: Array<{ start: number; end: number }> = [];
  let covered = 0;
  for (const start of starts) {
    if (covered + lengthMs > dayMs) {
      groups.push(group);
      group = [];
      covered = 0;
    }
    covered += lengthMs;
    const last = group.at(-1);
    if (last !== undefined && last.end === start) last.end = start + lengthMs;
    else group.push({ start, end: start + lengthMs });
  }
  if (group.length > 0) groups.push(group);
  return groups.map((spans) => spans.map((span) => ({ start: new Date(span.start).toISOString(), end: new Date(span.end).toISOString() })));
}

/** `column` within one of the spans. */
function inSpans(column: RawBuilder<Date>, spans: readonly Span[]): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(spans.map((span) => sql`(${column} >= ${span.start}::timestamptz AND ${column} < ${span.end}::timestamptz)`), sql` OR `)})`;
}

/** The UTC start of the `grain` bucket holding `column`. */
function bucketOf(column: RawBuilder<Date>, grain: LiveGrain): RawBuilder<Date> {
  return sql<Date>`date_bin(${sql.lit(`${grain} minutes`)}::interval, ${column}, timestamptz 'epoch')`;
}

/** Whether the rows of `dimension` are wanted (`only` undefined: every dimension's). */
const wants = (only: string | undefined, dimension: string): boolean => only === undefined || only === dimension;

async function readEventGroups(db: Kysely<Database>, siteId: string, grain: LiveGrain, spans: readonly Span[], only: string | undefined): Promise<EventGroup[]> {
  const branches: Array<RawBuilder<unknown>> = [];
  if (wants(only, TOTAL_DIMENSION)) branches.push(sql`SELECT '' AS dimension, '' AS value`);
  if (wants(only, EVENT_PAGE)) branches.push(sql`SELECT ${EVENT_PAGE}, e.pathname WHERE e.name = 'pageview'`);
  if (wants(only, EVENT_NAME)) branches.push(sql`SELECT ${EVENT_NAME}, e.name WHERE e.name <> 'engagement'`);
  if (only === undefined || only.startsWith(EVENT_PROPS_PREFIX)) {
    const key = only === undefined ? sql`true` : sql`p.key = ${only.slice(EVENT_PROPS_PREFIX.length)}`;
    branches.push(sql`
      SELECT ${EVENT_PROPS_PREFIX} || p.key, p.value
      FROM jsonb_each_text(CASE WHEN jsonb_typeof(e.props) = 'object' THEN e.props ELSE '{}'::jsonb END) AS p
      WHERE e.name NOT IN ('pageview', 'engagement') AND p.value IS NOT NULL AND ${key}`);
  }
  if (branches.length === 0) return [];
  const { rows } = await sql<EventGroup>`
    WITH bucket_events AS (
      SELECT DISTINCT ON (e.event_id) ${bucketOf(sql.ref('e.time'), grain)} AS bucket, e.name, e.visitor_id, e.session_id, e.pathname, e.props
      FROM events e
      WHERE e.site_id = ${siteId} AND ${inSpans(sql.ref('e.time'), spans)}
    )
    SELECT e.bucket, d.dimension, d.value,
      string_agg(int8send(e.visitor_id), '') AS visitor_ids,
      string_agg(int8send(e.session_id), '') FILTER (WHERE d.dimension <> '') AS session_ids,
      count(*) FILTER (WHERE e.name = 'pageview') AS pageviews,
      count(*) FILTER (WHERE e.name <> 'engagement') AS events
    FROM bucket_events e
    CROSS JOIN LATERAL (${sql.join(branches, sql` UNION ALL `)}) AS d(dimension, value)
    GROUP BY 1, 2, 3`.execute(db);
  return rows;
}

async function readVisitGroups(db: Kysely<Database>, siteId: string, grain: LiveGrain, spans: readonly Span[], only: string | undefined): Promise<VisitGroup[]> {
  const pairs = [
    ...(wants(only, TOTAL_DIMENSION) ? [sql`('', '')`] : []),
    ...Object.entries(visitColumns).filter(([dimension]) => wants(only, dimension)).map(([dimension, column]) => sql`(${dimension}, ${sql.ref(`s.${column}`)})`),
  ];
  if (pairs.length === 0) return [];
  const dimensionValues = sql.join(pairs);
  const { rows } = await sql<VisitGroup>`
    SELECT ${bucketOf(sql.ref('s.started_at'), grain)} AS bucket, d.dimension, d.value,
      string_agg(int8send(s.visitor_id), '') FILTER (WHERE d.dimension <> '') AS visitor_ids,
      count(*) AS visits,
      count(*) FILTER (WHERE s.pageviews <= 1 AND NOT s.engaged) AS bounces,
      coalesce(sum(floor(extract(epoch FROM s.last_seen_at - s.started_at) * 1000)), 0)::bigint AS duration_ms,
      sum(s.pageviews) AS pageviews,
      sum(s.events) AS events
    FROM sessions s
    CROSS JOIN LATERAL (VALUES ${dimensionValues}) AS d(dimension, value)
    WHERE s.site_id = ${siteId} AND ${inSpans(sql.ref('s.started_at'), spans)}
    GROUP BY 1, 2, 3`.execute(db);
  return rows;
}

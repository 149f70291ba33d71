import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { isTimeDimension, valueDimension } from './analytics-dimensions.ts';
import { filtersSql, rawColumnOf } from './analytics-filters.ts';
import { goalMatchSql } from './analytics-goals-read.ts';
import type { GroupCounts } from './analytics-metrics.ts';
import { levelOf, type Group, type GroupPlan } from './analytics-plan.ts';
import type { TimeGrain } from './analytics-range.ts';
import { matchFilters } from './analytics-request.ts';

// The raw path: any query, in SQL over events and sessions (aliases e, s),
// with count(DISTINCT …) for visitors and visits. Events are read once per
// event ID (an export retried after its commit stores them twice), as the
// rollups count them.

interface RawGroupRow {
  dimensions: string[] | null;
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  duration_ms: number;
}

/** The label of a time bucket in the zone, as analytics-range.ts's bucketLabel writes it. */
function timeLabelSql(time: RawBuilder<Date>, grain: TimeGrain, timeZone: string): RawBuilder<string> {
  const format = grain === 'hour' ? 'YYYY-MM-DD HH24:00:00' : 'YYYY-MM-DD';
  return sql<string>`to_char(date_trunc(${grain}, ${time} AT TIME ZONE ${timeZone}), ${format})`;
}

/** The events of the range, each once. */
function rangeEvents(plan: GroupPlan): RawBuilder<unknown> {
  return sql`(SELECT DISTINCT ON (event_id) * FROM events
    WHERE site_id = ${plan.siteId} AND time >= ${plan.range.start} AND time < ${plan.range.end})`;
}

const bounce = sql<boolean>`(s.pageviews <= 1 AND NOT s.engaged)`;
const durationMs = sql<number>`floor(extract(epoch FROM s.last_seen_at - s.started_at) * 1000)`;

/** Groups of the plan, computed from raw rows. */
export async function rawGroups(db: Kysely<Database>, plan: GroupPlan): Promise<Array<Group<GroupCounts>>> {
  const level = levelOf(plan);
  const { rows } = await (level === 'site' ? siteQuery(plan) : level === 'visits' ? visitQuery(plan) : eventQuery(plan)).execute(db);
  return rows.map((row) => ({
    dimensions: row.dimensions ?? [],
    counts: {
      visitors: row.visitors,
      visits: row.visits,
      pageviews: row.pageviews,
      events: row.events,
      bounces: row.bounces,
      durationMs: row.duration_ms,
    },
  }));
}

/** `ARRAY[d1, d2, …]` of the group's values, or NULL without dimensions, and the GROUP BY clause. */
function grouping(values: readonly RawBuilder<string>[]): { select: RawBuilder<string[] | null>; groupBy: RawBuilder<unknown> } {
  if (values.length === 0) return { select: sql<null>`NULL::text[]`, groupBy: sql`` };
  return {
    select: sql<string[]>`ARRAY[${sql.join(values)}]::text[]`,
    // By the array itself: the same values, and no bound parameter repeated in GROUP BY.
    groupBy: sql`GROUP BY 1`,
  };
}

/** The whole site: visitors, pageviews and events of the range's events; visits of the visits started in it. */
function siteQuery(plan: GroupPlan) {
  const time = plan.grain === null ? null : plan.grain;
  const eventLabel = time === null ? sql<string>`''` : timeLabelSql(sql`e.time`, time, plan.timeZone);
  const visitLabel = time === null ? sql<string>`''` : timeLabelSql(sql`s.started_at`, time, plan.timeZone);
  return sql<RawGroupRow>`
    WITH ev AS (
      SELECT ${eventLabel} AS label,
        count(DISTINCT e.visitor_id)::float8 AS visitors,
        count(*) FILTER (WHERE e.name = 'pageview')::float8 AS pageviews,
        count(*) FILTER (WHERE e.name <> 'engagement')::float8 AS events
      FROM ${rangeEvents(plan)} e GROUP BY 1
    ), vs AS (
      SELECT ${visitLabel} AS label,
        count(*)::float8 AS visits,
        count(*) FILTER (WHERE ${bounce})::float8 AS bounces,
        coalesce(sum(${durationMs}), 0)::float8 AS duration_ms
      FROM sessions s
      WHERE s.site_id = ${plan.siteId} AND s.started_at >= ${plan.range.start} AND s.started_at < ${plan.range.end}
      GROUP BY 1
    )
    SELECT ${time === null ? sql`NULL::text[]` : sql`ARRAY[coalesce(ev.label, vs.label)]`} AS dimensions,
      coalesce(ev.visitors, 0) AS visitors, coalesce(vs.visits, 0) AS visits,
      coalesce(ev.pageviews, 0) AS pageviews, coalesce(ev.events, 0) AS events,
      coalesce(vs.bounces, 0) AS bounces, coalesce(vs.duration_ms, 0) AS duration_ms
    FROM ev FULL JOIN vs ON ev.label = vs.label`;
}

/** Visits started in the range that pass the filters, grouped by visit dimensions. */
function visitQuery(plan: GroupPlan) {
  const values = plan.dimensions.map((name) =>
    isTimeDimension(name) ? timeLabelSql(sql`s.started_at`, plan.grain ?? 'day', plan.timeZone) : rawColumnOf(name).value,
  );
  const { select, groupBy } = grouping(values);
  return sql<RawGroupRow>`
    SELECT ${select} AS dimensions,
      count(DISTINCT s.visitor_id)::float8 AS visitors,
      count(*)::float8 AS visits,
      coalesce(sum(s.pageviews), 0)::float8 AS pageviews,
      coalesce(sum(s.events), 0)::float8 AS events,
      count(*) FILTER (WHERE ${bounce})::float8 AS bounces,
      coalesce(sum(${durationMs}), 0)::float8 AS duration_ms
    FROM sessions s
    WHERE s.site_id = ${plan.siteId} AND s.started_at >= ${plan.range.start} AND s.started_at < ${plan.range.end}
      AND ${filtersSql(plan.filters, rawColumnOf, plan.goals)}
    ${groupBy}`;
}

/** Events in the range that pass the filters (and carry each event dimension), grouped; visits are distinct sessions. */
function eventQuery(plan: GroupPlan) {
  const needsSessions = [...plan.dimensions, ...matchFilters(plan.filters).map((filter) => filter.dimension)].some((name) => valueDimension(name)?.kind === 'visit');
  const goalJoin = plan.dimensions.includes('event:goal');
  const values: Array<RawBuilder<string>> = [];
  const domains: Array<RawBuilder<boolean>> = [];
  for (const name of plan.dimensions) {
    if (isTimeDimension(name)) {
      values.push(timeLabelSql(sql`e.time`, plan.grain ?? 'day', plan.timeZone));
    } else if (name === 'event:goal') {
      values.push(sql<string>`g.goal`);
    } else {
      const column = rawColumnOf(name);
      values.push(column.value);
      if (column.domain !== null) domains.push(column.domain);
    }
  }
  const goals = goalJoin
    ? plan.goals.length === 0
      ? sql`JOIN LATERAL (SELECT NULL::text AS goal WHERE false) g ON true`
      : sql`JOIN LATERAL (${sql.join(plan.goals.map((goal) => sql`SELECT ${goal.name}::text AS goal WHERE ${goalMatchSql(goal)}`), sql` UNION `)}) g ON true`
    : sql``;
  const sessions = needsSessions ? sql`JOIN sessions s ON s.site_id = e.site_id AND s.session_id = e.session_id` : sql``;
  const { select, groupBy } = grouping(values);
  return sql<RawGroupRow>`
    SELECT ${select} AS dimensions,
      count(DISTINCT e.visitor_id)::float8 AS visitors,
      count(DISTINCT e.session_id)::float8 AS visits,
      count(*) FILTER (WHERE e.name = 'pageview')::float8 AS pageviews,
      count(*) FILTER (WHERE e.name <> 'engagement')::float8 AS events,
      0::float8 AS bounces, 0::float8 AS duration_ms
    FROM ${rangeEvents(plan)} e ${sessions} ${goals}
    WHERE ${domains.length === 0 ? sql`true` : sql.join(domains, sql` AND `)}
      AND ${filtersSql(plan.filters, rawColumnOf, plan.goals)}
    ${groupBy}`;
}

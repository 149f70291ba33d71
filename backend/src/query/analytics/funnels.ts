import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { stepLabel, windowMs, type FunnelDefinition } from './funnels-definition.ts';
import { visitFiltersSql } from './funnels-visit-filters.ts';
import { goalMatchesSql } from './goals-match.ts';

// A funnel over stored events: how many people reached each step, in order,
// each step after the previous one and within the window of the first.
//
// One pass in SQL. The range's events that match any step are kept (with a
// bitmask of the steps each matches), keyed by person, and ordered by
// (person, time, event ID). Then, for step i, one window function carries
// L(i): the latest start (time of a step-1 event) of a chain that completed
// steps 1..i strictly before the current row. A row matching step i+1 extends
// that chain when it lies within the window of L(i): the latest start is the
// best one to extend, since it leaves the most window for the steps after.
// So repeated steps, a step matched by one event in two roles, and restarts
// are all counted right, with k-1 window passes over the same sort order and
// no self-join. A person's level is the highest step any row completes.
//
// A person is the user (events.user_id, else the user an identify linked the
// event's anonymous ID to), else the visitor ID, so a funnel follows users
// across devices; anonymous browser visitors are their visitor hash.

export interface FunnelStepResult {
  label: string;
  visitors: number;
  /** Percent of the people who reached step 1 (100 on step 1 when anyone did). */
  conversion_rate: number;
  /** Percent of the people who reached the previous step. */
  conversion_rate_step: number;
  /** People who reached the previous step but not this one (0 on step 1). */
  dropoff: number;
  dropoff_percentage: number;
}

export interface FunnelResult {
  steps: FunnelStepResult[];
}

export async function runFunnel(db: Kysely<Database>, siteId: string, funnel: FunnelDefinition, range: TimeRange): Promise<FunnelResult> {
  const { steps } = funnel;
  const result = await funnelCountsSql(siteId, funnel, range).execute(db);
  const row = result.rows[0] ?? {};
  const visitors = steps.map((_, i) => Number(row[`step${i + 1}`] ?? 0));
  return {
    steps: steps.map((step, i) => {
      const here = visitors[i] as number;
      const first = visitors[0] as number;
      const previous = i === 0 ? here : (visitors[i - 1] as number);
      const dropoff = i === 0 ? 0 : previous - here;
      return {
        label: stepLabel(step),
        visitors: here,
        conversion_rate: percent(here, first),
        conversion_rate_step: percent(here, previous),
        dropoff,
        dropoff_percentage: percent(dropoff, previous),
      };
    }),
  };
}

/** One row: step1 … stepN, the people who reached each step (decimal strings). */
export function funnelCountsSql(siteId: string, funnel: FunnelDefinition, range: TimeRange): RawBuilder<Record<string, string>> {
  const { steps } = funnel;
  // Chains compare exact nanoseconds: int8 arithmetic, and no instant lost to rounding.
  const windowNs = (BigInt(windowMs(funnel.window)) * 1_000_000n).toString();
  const masks = steps.map((step, i) => sql`CASE WHEN ${goalMatchesSql(step, 'e')} THEN ${sql.lit(1 << i)} ELSE 0 END`);
  const anyStep = sql.join(
    steps.map((step) => goalMatchesSql(step, 'e')),
    sql` OR `,
  );
  const visits =
    funnel.filters.length === 0
      ? sql``
      : sql`AND e.session_id IN (
          SELECT s.session_id FROM sessions s
          WHERE s.site_id = ${siteId} AND s.started_at < ${range.end} AND s.last_seen_at >= ${range.start} AND ${visitFiltersSql(funnel.filters, 's')})`;
  // A person: the user (compared bytewise: no collation to pay for), else the visitor ID.
  const order = sql`PARTITION BY user_key, visitor_key ORDER BY time_ns, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING`;

  // reached1 is the step-1 match itself; reached(i+1) the start of the chain this row extends to step i+1.
  let query: RawBuilder<unknown> = sql`
    SELECT user_key, visitor_key, time_ns, event_id, mask, CASE WHEN mask & 1 <> 0 THEN time_ns END AS reached1
    FROM (
      SELECT coalesce(e.user_id, i.user_id) COLLATE "C" AS user_key,
        CASE WHEN e.user_id IS NULL AND i.user_id IS NULL THEN e.visitor_id END AS visitor_key,
        e.time_ns, e.event_id, (${sql.join(masks, sql` | `)}) AS mask
      FROM events e
      LEFT JOIN identities i ON e.user_id IS NULL AND e.anonymous_id IS NOT NULL AND i.site_id = e.site_id AND i.anonymous_id = e.anonymous_id
      WHERE e.site_id = ${siteId} AND e.time >= ${range.start} AND e.time < ${range.end} AND (${anyStep}) ${visits}
    ) keyed`;
  const carried = ['reached1'];
  for (let i = 1; i < steps.length; i++) {
    const previous = sql.ref(`reached${i}`);
    const latest = sql.ref(`latest${i}`);
    query = sql`
      SELECT *, CASE WHEN mask & ${sql.lit(1 << i)} <> 0 AND ${latest} >= time_ns - ${windowNs}::int8 THEN ${latest} END AS ${sql.ref(`reached${i + 1}`)}
      FROM (SELECT *, max(${previous}) OVER (${order}) AS ${latest} FROM (${query}) level${sql.raw(String(i))}) carried${sql.raw(String(i))}`;
    carried.push(`reached${i + 1}`);
  }
  const level = sql.join(
    carried.map((column, i) => sql`CASE WHEN ${sql.ref(column)} IS NOT NULL THEN ${sql.lit(i + 1)} ELSE 0 END`),
    sql`, `,
  );
  const counts = steps.map((_, i) => sql`count(*) FILTER (WHERE level >= ${sql.lit(i + 1)})::int8 AS ${sql.ref(`step${i + 1}`)}`);
  return sql<Record<string, string>>`
    SELECT ${sql.join(counts, sql`, `)}
    FROM (SELECT max(greatest(${level})) AS level FROM (${query}) chains GROUP BY user_key, visitor_key) people`;
}

/** part / whole in percent with two decimals; 0 when whole is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 100;
}

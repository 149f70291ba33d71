import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import type { TimeRange } from '../time-range.ts';
import { percent } from './funnels.ts';
import { goalMatchesSql, type GoalDefinition } from './goals-match.ts';

// Conversions per goal over a range: one scan of the range's events that
// counts every goal at once. Visitors are distinct visitor IDs, as in the
// query API's visitors metric, so a goal's conversion rate here equals the
// query API's conversion_rate for the same goal and range.

export interface GoalToCount {
  id: string;
  name: string;
  definition: GoalDefinition;
}

export interface GoalConversion {
  id: string;
  name: string;
  goal: GoalDefinition;
  /** Distinct visitors with at least one matching event. */
  visitors: number;
  /** Matching events. */
  events: number;
  /** visitors / every visitor of the range, in percent with two decimals. */
  conversion_rate: number;
}

export interface GoalConversions {
  /** Distinct visitors with any event in the range. */
  visitors: number;
  goals: GoalConversion[];
}

export async function goalConversions(db: Kysely<Database>, siteId: string, goals: readonly GoalToCount[], range: TimeRange): Promise<GoalConversions> {
  const perGoal = goals.flatMap((goal, i) => {
    const match = goalMatchesSql(goal.definition, 'e');
    return [
      sql`count(DISTINCT e.visitor_id) FILTER (WHERE ${match})::int8 AS ${sql.ref(`visitors${i}`)}`,
      sql`count(*) FILTER (WHERE ${match})::int8 AS ${sql.ref(`events${i}`)}`,
    ];
  });
  const result = await sql<Record<string, string>>`
    SELECT ${sql.join([sql`count(DISTINCT e.visitor_id)::int8 AS visitors`, ...perGoal], sql`, `)}
    FROM events e
    WHERE e.site_id = ${siteId} AND e.time >= ${range.start} AND e.time < ${range.end}`.execute(db);
  const row = result.rows[0] ?? {};
  const visitors = Number(row['visitors'] ?? 0);
  return {
    visitors,
    goals: goals.map((goal, i) => {
      const converted = Number(row[`visitors${i}`] ?? 0);
      return {
        id: goal.id,
        name: goal.name,
        goal: goal.definition,
        visitors: converted,
        events: Number(row[`events${i}`] ?? 0),
        conversion_rate: percent(converted, visitors),
      };
    }),
  };
}

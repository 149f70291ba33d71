import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.ts';
import { goalMatchesSql, InvalidGoalError, parseGoalDefinition, type GoalDefinition } from './goals-match.ts';

// The site's goals as the query engine needs them: a name and which events
// complete it, read the way the goals API wrote them (goals-match.ts).

export interface Goal {
  name: string;
  definition: GoalDefinition;
}

export async function readGoals(db: Kysely<Database>, siteId: string): Promise<Goal[]> {
  const { rows } = await sql<{ name: string; definition: unknown }>`
    SELECT name, definition FROM analytics_goals WHERE site_id = ${siteId} ORDER BY name, id`.execute(db);
  const goals: Goal[] = [];
  for (const row of rows) {
    try {
      goals.push({ name: row.name, definition: parseGoalDefinition(row.definition) });
    } catch (error) {
      // Only the goals API writes goals, and it checks them the same way: skip what it would refuse.
      if (!(error instanceof InvalidGoalError)) throw error;
    }
  }
  return goals;
}

/** Whether the event `e` completes the goal. */
export function goalMatchSql(goal: Goal): RawBuilder<boolean> {
  return goalMatchesSql(goal.definition, 'e');
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';

// Events the privacy pipeline dropped before storage, per reason. Counts are
// kept per UTC day (analytics_drops), so a date range's days are read as UTC
// days here, whatever the site's time zone: whole days, never a shifted one.

export interface DroppedCount {
  reason: string;
  count: number;
}

/** Drops per reason on the UTC days firstDay to lastDay (YYYY-MM-DD, both included), most first. */
export async function droppedEvents(db: Kysely<Database>, siteId: string, firstDay: string, lastDay: string): Promise<DroppedCount[]> {
  const result = await sql<{ reason: string; count: string }>`
    SELECT reason, sum(count)::int8 AS count FROM analytics_drops
    WHERE site_id = ${siteId} AND day >= (${firstDay}::date::timestamp AT TIME ZONE 'UTC') AND day < ((${lastDay}::date + 1)::timestamp AT TIME ZONE 'UTC')
    GROUP BY reason ORDER BY count DESC, reason`.execute(db);
  return result.rows.map((row) => ({ reason: row.reason, count: Number(row.count) }));
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';

// What is happening on a site now: visitors with events in the last five
// minutes, the pages they are viewing and where their visits came from. Read
// from raw events (five minutes of them), never from rollups, which lag.

export const REALTIME_WINDOW_MS = 5 * 60_000;
export const REALTIME_TOP = 10;

export interface RealtimeRow {
  /** A pathname, or a source name ('' for direct visits). */
  name: string;
  visitors: number;
}

export interface Realtime {
  visitors: number;
  pages: RealtimeRow[];
  sources: RealtimeRow[];
}

/**
 * Events in (now − 5 min, now]. Pages are the pathnames of pageviews, by
 * distinct visitors; sources the referrer source of the visits those events
 * belong to (a visit keeps its first event's source), by distinct visitors.
 */
export async function realtime(db: Kysely<Database>, siteId: string, now: Date = new Date()): Promise<Realtime> {
  const since = new Date(now.getTime() - REALTIME_WINDOW_MS);
  const recent = sql`
    SELECT e.visitor_id, e.session_id, e.name, e.pathname FROM events e
    WHERE e.site_id = ${siteId} AND e.time > ${since} AND e.time <= ${now}`;
  // One after another: a dashboard polls this, and one request should hold one connection.
  const total = await sql<{ visitors: string }>`SELECT count(DISTINCT visitor_id)::int8 AS visitors FROM (${recent}) r`.execute(db);
  const pages = await sql<{ name: string; visitors: string }>`
      SELECT pathname AS name, count(DISTINCT visitor_id)::int8 AS visitors FROM (${recent}) r
      WHERE name = 'pageview' GROUP BY pathname ORDER BY visitors DESC, name LIMIT ${REALTIME_TOP}`.execute(db);
  const sources = await sql<{ name: string; visitors: string }>`
      SELECT s.referrer_source AS name, count(DISTINCT r.visitor_id)::int8 AS visitors
      FROM (SELECT DISTINCT visitor_id, session_id FROM (${recent}) e) r
      JOIN sessions s ON s.site_id = ${siteId} AND s.session_id = r.session_id AND s.started_at <= ${now}
      GROUP BY s.referrer_source ORDER BY visitors DESC, name LIMIT ${REALTIME_TOP}`.execute(db);
  const rows = (result: { rows: Array<{ name: string; visitors: string }> }): RealtimeRow[] =>
    result.rows.map((row) => ({ name: row.name, visitors: Number(row.visitors) }));
  return { visitors: Number(total.rows[0]?.visitors ?? 0), pages: rows(pages), sources: rows(sources) };
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { eventColumnsSql, journeyEvent, journeySession, sessionColumnsSql, type EventRowRead, type JourneyEvent, type JourneySession, type SessionRow } from './journeys-rows.ts';

// One visit, anonymous or not: its session row and its events in order.

/** Most events shown for one session (a visit of more is a bot the filters missed, or a very long tab). */
export const MAX_SESSION_EVENTS = 1000;

export interface SessionView {
  session: JourneySession;
  events: JourneyEvent[];
  /** True when the session has more than MAX_SESSION_EVENTS events (the first ones are shown). */
  truncated: boolean;
}

const INT64 = /^-?\d{1,19}$/;

/** The session, or null when the site has none with this ID (also for an ID that is not an int64). */
export async function getSessionView(db: Kysely<Database>, siteId: string, sessionId: string): Promise<SessionView | null> {
  if (!INT64.test(sessionId) || BigInt(sessionId) > 2n ** 63n - 1n || BigInt(sessionId) < -(2n ** 63n)) return null;
  const session = await sql<SessionRow>`
    SELECT ${sessionColumnsSql('s')} FROM sessions s WHERE s.site_id = ${siteId} AND s.session_id = ${sessionId}::int8
    ORDER BY s.started_at LIMIT 1`.execute(db);
  const row = session.rows[0];
  if (row === undefined) return null;
  const events = await sql<EventRowRead>`
    SELECT ${eventColumnsSql('e')} FROM events e
    WHERE e.site_id = ${siteId} AND e.session_id = ${sessionId}::int8 AND e.time >= ${row.started_at}
    ORDER BY e.time, e.time_ns, e.event_id LIMIT ${MAX_SESSION_EVENTS + 1}`.execute(db);
  return {
    session: journeySession(row),
    events: events.rows.slice(0, MAX_SESSION_EVENTS).map(journeyEvent),
    truncated: events.rows.length > MAX_SESSION_EVENTS,
  };
}

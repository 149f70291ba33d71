import { sql, type Kysely } from 'kysely';
import type { PropValue } from '@justanalytics/collector';
import type { Database } from '../../db/database.ts';
import { journeySession, sessionColumnsSql, type JourneySession, type SessionRow } from './journeys-rows.ts';

// A user's journey: who they are (first and last seen, traits) and their
// visits, across devices. A user is every event and session carrying the user
// ID, and every one carrying an anonymous ID that an identify linked to it.

/** Most sessions the user view lists (the newest); sessionCount says how many there are. */
export const USER_SESSIONS_SHOWN = 100;
/** Most pages listed per session. */
export const SESSION_PAGES_SHOWN = 50;
/** Anonymous IDs of one user that the journey follows. */
export const MAX_USER_ANONYMOUS_IDS = 1000;

export interface UserSession extends JourneySession {
  /** The session's pageviews' paths in order, the first SESSION_PAGES_SHOWN. */
  pages: string[];
}

export interface UserProfile {
  userId: string;
  firstSeen: string;
  lastSeen: string;
  /** Traits of every identify of the user, the latest winning per key. */
  traits: Record<string, PropValue>;
  anonymousIds: string[];
  sessionCount: number;
  /** Newest first. */
  sessions: UserSession[];
}

interface IdentityRead {
  anonymous_id: string;
  traits: Record<string, PropValue>;
  first_seen_at: Date;
  last_seen_at: Date;
}

/** The anonymous IDs identified as the user, oldest identify first. */
export async function userIdentities(db: Kysely<Database>, siteId: string, userId: string): Promise<IdentityRead[]> {
  const result = await sql<IdentityRead>`
    SELECT anonymous_id, traits, first_seen_at, last_seen_at FROM identities
    WHERE site_id = ${siteId} AND user_id = ${userId}
    ORDER BY last_seen_at, anonymous_id LIMIT ${MAX_USER_ANONYMOUS_IDS}`.execute(db);
  return result.rows;
}

/** The user's profile, or null when nothing of the site carries the user ID or one of its anonymous IDs. */
export async function getUserProfile(db: Kysely<Database>, siteId: string, userId: string): Promise<UserProfile | null> {
  const identities = await userIdentities(db, siteId, userId);
  const anonymousIds = identities.map((identity) => identity.anonymous_id);
  const ofUser = sql`s.site_id = ${siteId} AND (s.user_id = ${userId} OR s.anonymous_id = ANY(${anonymousIds}::text[]))`;
  const summary = await sql<{ count: string; first: Date | null; last: Date | null }>`
    SELECT count(*)::int8 AS count, min(s.started_at) AS first, max(s.last_seen_at) AS last FROM sessions s WHERE ${ofUser}`.execute(db);
  const { count, first, last } = summary.rows[0] ?? { count: '0', first: null, last: null };
  if (identities.length === 0 && Number(count) === 0) return null;
  const sessions = await sql<SessionRow>`
    SELECT ${sessionColumnsSql('s')} FROM sessions s WHERE ${ofUser}
    ORDER BY s.started_at DESC, s.session_id LIMIT ${USER_SESSIONS_SHOWN}`.execute(db);
  const pages = await sessionPages(db, siteId, sessions.rows);
  const times = [
    ...identities.flatMap((identity) => [identity.first_seen_at.getTime(), identity.last_seen_at.getTime()]),
    ...(first === null ? [] : [first.getTime()]),
    ...(last === null ? [] : [last.getTime()]),
  ];
  const traits: Record<string, PropValue> = {};
  for (const identity of identities) Object.assign(traits, identity.traits);
  return {
    userId,
    firstSeen: new Date(Math.min(...times)).toISOString(),
    lastSeen: new Date(Math.max(...times)).toISOString(),
    traits,
    anonymousIds,
    sessionCount: Number(count),
    sessions: sessions.rows.map((row) => ({ ...journeySession(row), pages: pages.get(row.session_id) ?? [] })),
  };
}

/** The pageview paths of each session, in order. */
async function sessionPages(db: Kysely<Database>, siteId: string, sessions: readonly SessionRow[]): Promise<Map<string, string[]>> {
  if (sessions.length === 0) return new Map();
  const since = new Date(Math.min(...sessions.map((row) => row.started_at.getTime())));
  const result = await sql<{ session_id: string; pages: string[] }>`
    SELECT e.session_id, (array_agg(e.pathname ORDER BY e.time, e.event_id))[1:${SESSION_PAGES_SHOWN}] AS pages
    FROM events e
    WHERE e.site_id = ${siteId} AND e.session_id = ANY(${sessions.map((row) => row.session_id)}::int8[]) AND e.time >= ${since} AND e.name = 'pageview'
    GROUP BY e.session_id`.execute(db);
  return new Map(result.rows.map((row) => [row.session_id, row.pages]));
}

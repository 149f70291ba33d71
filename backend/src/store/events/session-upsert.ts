import type pg from 'pg';
import { nanosToTimestamp } from '../../db/copy-text.ts';
import { sessionColumns, type SessionDelta } from '../../db/tables/sessions.ts';
import { unnestInsert, unnestParams } from '../../db/tables/columns.ts';
import type { TouchedSession } from './session-assignment.ts';
import { engages, isPageview } from './session-rules.ts';

/** A timestamptz literal of exact microseconds. */
export function microsToTimestamp(us: bigint): string {
  return nanosToTimestamp(us * 1000n);
}

/**
 * What a flush adds to a session. The visit fields come from the flush's
 * first event of it, which for a new session is its first event; for a
 * stored session the upsert ignores them. The exit page is the flush's
 * latest pageview's page; a new session without a pageview exits where it
 * entered.
 */
export function sessionDelta(siteId: string, touched: TouchedSession): SessionDelta {
  const { session, events } = touched;
  const first = events[0]!.event;
  let pageviews = 0;
  let engaged = false;
  let exitPage: string | null = null;
  let userId: string | null = null;
  let anonymousId: string | null = null;
  for (const { event, userId: eventUser } of events) {
    if (isPageview(event)) {
      pageviews++;
      exitPage = event.pathname;
    }
    if (engages(event)) engaged = true;
    if (eventUser !== null) userId = eventUser;
    anonymousId ??= event.anonymousId;
  }
  const lastUs = events.reduce((max, { event }) => (event.timeUnixNano / 1000n > max ? event.timeUnixNano / 1000n : max), session.startedUs);
  return {
    siteId,
    startedAt: microsToTimestamp(session.startedUs),
    sessionId: session.sessionId,
    visitorId: session.visitorId,
    userId,
    anonymousId,
    lastSeenAt: microsToTimestamp(lastUs),
    hostname: first.hostname,
    entryPage: first.pathname,
    exitPage: exitPage ?? (touched.isNew ? first.pathname : ''),
    pageviews,
    // Engagement events say how long a page was read, not what the visitor did: the events metric leaves them out.
    events: events.filter(({ event }) => event.name !== 'engagement').length,
    engaged,
    referrer: first.referrer,
    referrerSource: first.referrerSource,
    channel: first.channel,
    utmSource: first.utmSource,
    utmMedium: first.utmMedium,
    utmCampaign: first.utmCampaign,
    utmTerm: first.utmTerm,
    utmContent: first.utmContent,
    clickId: first.clickId,
    country: first.country,
    region: first.region,
    city: first.city,
    browser: first.browser,
    browserVersion: first.browserVersion,
    os: first.os,
    osVersion: first.osVersion,
    device: first.device,
    screenWidth: first.screenWidth,
    screenHeight: first.screenHeight,
    origin: first.origin,
  };
}

// A stored session keeps its visit fields and start; the flush adds its
// counts, moves last_seen_at forward, and sets the exit page when its latest
// pageview is newer than anything stored (events arrive nearly in order).
const upsertSessionsSql = `${unnestInsert('sessions', sessionColumns, 's')}
ON CONFLICT (site_id, started_at, session_id) DO UPDATE SET
  last_seen_at = GREATEST(s.last_seen_at, EXCLUDED.last_seen_at),
  exit_page = CASE WHEN EXCLUDED.pageviews > 0 AND EXCLUDED.last_seen_at >= s.last_seen_at THEN EXCLUDED.exit_page ELSE s.exit_page END,
  pageviews = s.pageviews + EXCLUDED.pageviews,
  events = s.events + EXCLUDED.events,
  engaged = s.engaged OR EXCLUDED.engaged,
  user_id = COALESCE(EXCLUDED.user_id, s.user_id),
  anonymous_id = COALESCE(s.anonymous_id, EXCLUDED.anonymous_id)`;

/** Inserts new sessions and adds to stored ones, one statement for the flush (one delta per session). */
export async function upsertSessions(client: pg.PoolClient, deltas: readonly SessionDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  await client.query(upsertSessionsSql, unnestParams(sessionColumns, deltas));
}

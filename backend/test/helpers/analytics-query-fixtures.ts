// The analytics query tests' traffic (not a test file itself): a few visits
// placed around the midnights of UTC, Asia/Kathmandu (+05:45) and
// America/St_Johns (-03:30, no DST in November), written straight with SQL,
// with the quarter hours they touch marked dirty as the store would mark them.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { insertEvents, makeRawPartitions, upsertSessions, type RawEvent, type RawSession } from './analytics-raw-rows.ts';

/** "Now" of every query of these tests: 22:45 in Kathmandu, 13:30 in St John's, same day (Nov 29) everywhere. */
export const NOW = new Date('2026-11-29T17:00:00Z');

const google = { referrer: 'https://www.google.com/', referrerSource: 'Google', channel: 'Organic Search' };

/**
 * - S1 (visitor 1): Nov 28 18:10 UTC (23:55 Kathmandu) `/`, 18:20 `/pricing` (00:05 Nov 29 in Kathmandu); Google, DE; 10 min.
 * - S2 (visitor 2): Nov 29 03:00 UTC (23:30 Nov 28 in St John's) `/blog`; direct, FR; a bounce.
 * - S3 (visitor 2): Nov 29 04:00 UTC (00:30 in St John's) `/`, 04:05 signup {plan: pro}; Google, FR; 5 min, engaged.
 * - S4 (visitor 3): Nov 29 12:00 UTC `/pricing`, 12:01 engagement 15 s, 12:02 `/`, 12:03 download {file: a.pdf}; Hacker News, US, mobile; 3 min.
 * - S5 (visitor 4): Nov 27 12:00 UTC `/`; Google, DE; a bounce.
 */
export function analyticsTraffic(): { events: RawEvent[]; sessions: RawSession[] } {
  const events: RawEvent[] = [
    { time: '2026-11-28T18:10:00Z', name: 'pageview', visitorId: 1n, sessionId: 11n, pathname: '/' },
    { time: '2026-11-28T18:20:00Z', name: 'pageview', visitorId: 1n, sessionId: 11n, pathname: '/pricing' },
    { time: '2026-11-29T03:00:00Z', name: 'pageview', visitorId: 2n, sessionId: 12n, pathname: '/blog' },
    { time: '2026-11-29T04:00:00Z', name: 'pageview', visitorId: 2n, sessionId: 13n, pathname: '/' },
    { time: '2026-11-29T04:05:00Z', name: 'signup', visitorId: 2n, sessionId: 13n, pathname: '/', props: { plan: 'pro' } },
    { time: '2026-11-29T12:00:00Z', name: 'pageview', visitorId: 3n, sessionId: 14n, pathname: '/pricing' },
    { time: '2026-11-29T12:01:00Z', name: 'engagement', visitorId: 3n, sessionId: 14n, pathname: '/pricing', engagementMs: 15_000 },
    { time: '2026-11-29T12:02:00Z', name: 'pageview', visitorId: 3n, sessionId: 14n, pathname: '/' },
    { time: '2026-11-29T12:03:00Z', name: 'download', visitorId: 3n, sessionId: 14n, pathname: '/', props: { file: 'a.pdf' } },
    { time: '2026-11-27T12:00:00Z', name: 'pageview', visitorId: 4n, sessionId: 15n, pathname: '/' },
  ];
  const sessions: RawSession[] = [
    { startedAt: '2026-11-28T18:10:00Z', lastSeenAt: '2026-11-28T18:20:00Z', sessionId: 11n, visitorId: 1n, entryPage: '/', exitPage: '/pricing', pageviews: 2, events: 2, engaged: false, ...google, country: 'DE' },
    { startedAt: '2026-11-29T03:00:00Z', lastSeenAt: '2026-11-29T03:00:00Z', sessionId: 12n, visitorId: 2n, entryPage: '/blog', exitPage: '/blog', pageviews: 1, events: 1, engaged: false, channel: 'Direct', country: 'FR' },
    { startedAt: '2026-11-29T04:00:00Z', lastSeenAt: '2026-11-29T04:05:00Z', sessionId: 13n, visitorId: 2n, entryPage: '/', exitPage: '/', pageviews: 1, events: 2, engaged: true, ...google, country: 'FR' },
    {
      startedAt: '2026-11-29T12:00:00Z', lastSeenAt: '2026-11-29T12:03:00Z', sessionId: 14n, visitorId: 3n, entryPage: '/pricing', exitPage: '/', pageviews: 2, events: 4, engaged: true,
      referrer: 'https://news.ycombinator.com/', referrerSource: 'Hacker News', channel: 'Referral', country: 'US', device: 'mobile',
    },
    { startedAt: '2026-11-27T12:00:00Z', lastSeenAt: '2026-11-27T12:00:00Z', sessionId: 15n, visitorId: 4n, entryPage: '/', exitPage: '/', pageviews: 1, events: 1, engaged: false, ...google, country: 'DE' },
  ];
  return { events, sessions };
}

/** A site in `timeZone`, made with SQL (the sites store is being extended in parallel). */
export async function createZonedSite(db: Kysely<Database>, name: string, timeZone: string): Promise<string> {
  const { rows } = await sql<{ id: string }>`INSERT INTO sites (name, timezone) VALUES (${name}, ${timeZone}) RETURNING id`.execute(db);
  return rows[0]!.id;
}

/** Writes the traffic for a site and marks its quarter hours dirty, as a flush of the store would. */
export async function writeAnalyticsTraffic(db: Kysely<Database>, siteId: string): Promise<void> {
  const { events, sessions } = analyticsTraffic();
  await makeRawPartitions(db, ['2026-11-27', '2026-11-28', '2026-11-29']);
  await insertEvents(db, siteId, events);
  await upsertSessions(db, siteId, sessions);
  const quarters = new Set([...events.map((event) => event.time), ...sessions.map((session) => session.startedAt)].map((time) => {
    const ms = Date.parse(time);
    return new Date(ms - (ms % 900_000)).toISOString();
  }));
  await sql`
    INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at)
    SELECT ${siteId}, b, now() FROM unnest(${[...quarters]}::timestamptz[]) AS b
    ON CONFLICT (site_id, bucket) DO UPDATE SET marked_at = now()`.execute(db);
}

/** A goal row, as the goals API stores it. */
export async function insertGoal(db: Kysely<Database>, siteId: string, id: string, name: string, definition: object): Promise<void> {
  await sql`INSERT INTO analytics_goals (site_id, id, name, definition) VALUES (${siteId}, ${id}, ${name}, ${JSON.stringify(definition)}::jsonb)`.execute(db);
}

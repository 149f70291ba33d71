// Raw events and sessions rows written straight with SQL, for the rollup
// tests (they need exact rows, not what the store would derive), and the
// rollup rows turned into plain numbers to compare with hand-computed ones.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import type { AnalyticsRollupRow } from '../../src/rollups/analytics-rollup-rows.ts';

export interface RawEvent {
  time: string;
  name: string;
  visitorId: bigint;
  sessionId: bigint;
  pathname?: string;
  props?: Record<string, string | number | boolean>;
  engagementMs?: number;
  /** The same ID twice is a retried export's duplicate. */
  eventId?: Buffer;
}

export interface RawSession {
  startedAt: string;
  lastSeenAt: string;
  sessionId: bigint;
  visitorId: bigint;
  entryPage: string;
  exitPage: string;
  pageviews: number;
  events: number;
  engaged: boolean;
  hostname?: string;
  referrer?: string;
  referrerSource?: string;
  channel?: string;
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  utmTerm?: string;
  utmContent?: string;
  country?: string;
  region?: string;
  city?: string;
  browser?: string;
  browserVersion?: string;
  os?: string;
  osVersion?: string;
  device?: string;
}

/** The day partitions of events and sessions around `days` (ISO dates), made by plain DDL. */
export async function makeRawPartitions(db: Kysely<Database>, days: readonly string[]): Promise<void> {
  for (const table of ['events', 'sessions']) {
    for (const day of days) {
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const name = `${table}_p${day.replaceAll('-', '')}`;
      await sql`CREATE TABLE IF NOT EXISTS ${sql.id(name)} PARTITION OF ${sql.id(table)} FOR VALUES FROM (${sql.lit(day)}) TO (${sql.lit(next)})`.execute(db);
    }
  }
}

export async function insertEvents(db: Kysely<Database>, siteId: string, events: readonly RawEvent[]): Promise<void> {
  for (const event of events) {
    const time = new Date(event.time);
    await sql`
      INSERT INTO events (site_id, time, time_ns, event_id, name, session_id, visitor_id, user_id, anonymous_id, hostname, pathname, query, title, engagement_ms, scroll_depth, props, origin)
      VALUES (${siteId}, ${time.toISOString()}, ${(BigInt(time.getTime()) * 1_000_000n).toString()}, ${event.eventId ?? randomBytes(16)}, ${event.name},
        ${event.sessionId.toString()}, ${event.visitorId.toString()}, NULL, NULL, 'shop.example', ${event.pathname ?? '/'}, '', '',
        ${event.engagementMs ?? null}, NULL, ${JSON.stringify(event.props ?? {})}::jsonb, 'browser')`.execute(db);
  }
}

/** Inserts sessions, or replaces one already stored (as the store's upsert would update it). */
export async function upsertSessions(db: Kysely<Database>, siteId: string, sessions: readonly RawSession[]): Promise<void> {
  for (const s of sessions) {
    await sql`DELETE FROM sessions WHERE site_id = ${siteId} AND session_id = ${s.sessionId.toString()}`.execute(db);
    await sql`
      INSERT INTO sessions (site_id, started_at, session_id, visitor_id, user_id, anonymous_id, last_seen_at, hostname, entry_page, exit_page,
        pageviews, events, engaged, referrer, referrer_source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id,
        country, region, city, browser, browser_version, os, os_version, device, screen_width, screen_height, origin)
      VALUES (${siteId}, ${s.startedAt}, ${s.sessionId.toString()}, ${s.visitorId.toString()}, NULL, NULL, ${s.lastSeenAt}, ${s.hostname ?? 'shop.example'},
        ${s.entryPage}, ${s.exitPage}, ${s.pageviews}, ${s.events}, ${s.engaged}, ${s.referrer ?? ''}, ${s.referrerSource ?? ''}, ${s.channel ?? 'Direct'},
        ${s.utmSource ?? ''}, ${s.utmMedium ?? ''}, ${s.utmCampaign ?? ''}, ${s.utmTerm ?? ''}, ${s.utmContent ?? ''}, '',
        ${s.country ?? ''}, ${s.region ?? ''}, ${s.city ?? ''}, ${s.browser ?? ''}, ${s.browserVersion ?? ''}, ${s.os ?? ''}, ${s.osVersion ?? ''},
        ${s.device ?? 'desktop'}, NULL, NULL, 'browser')`.execute(db);
  }
}

/** A rollup row as numbers: [dimension, value, visitors, distinct visits (event rows) or null, visits, pageviews, events, bounces, durationMs]. */
export type RollupNumbers = [string, string, number, number | null, number, number, number, number, number];

export function rollupNumbers(row: AnalyticsRollupRow): RollupNumbers {
  return [
    row.dimension,
    row.value,
    row.visitors.estimate(),
    row.visitSketch === null ? null : row.visitSketch.estimate(),
    row.visits,
    row.pageviews,
    row.events,
    row.bounces,
    row.durationMs,
  ];
}

/** Rows grouped by bucket (ISO) and grain, as numbers. */
export function rollupsByBucket(rows: readonly AnalyticsRollupRow[]): Record<string, RollupNumbers[]> {
  const out: Record<string, RollupNumbers[]> = {};
  for (const row of rows) (out[`${row.grain} ${row.bucket.toISOString()}`] ??= []).push(rollupNumbers(row));
  return out;
}

const google = { referrer: 'https://www.google.com/', referrerSource: 'Google', channel: 'Organic Search' };
const firefoxOnLinux = { device: 'desktop', browser: 'Firefox', browserVersion: '120.0', os: 'Linux', osVersion: '', country: 'DE', region: 'DE-BE', city: 'Berlin' };

/**
 * A morning of a shop (2026-11-29, UTC), by quarter hour:
 * - 10:00: visitor 101's visit 1001 (/ → /pricing, engaged 12 s, signs up for
 *   plan pro with 3 seats; 3 min 30 s), visitor 102's bounce 1002 on /blog
 *   (from a newsletter; its pageview stored twice), and 101's second visit
 *   1003 starting at 10:14:59.5 on /pricing …
 * - 10:15: … which goes on (engagement of 5 s, /checkout at 10:20:00.250).
 * - 11:00: visitor 103's visit 1004 from Hacker News on a tablet: /, signup
 *   (plan free), download (file a.pdf, big true); 1 min.
 */
export function shopMorning(): { events: RawEvent[]; sessions: RawSession[] } {
  const duplicated = randomBytes(16);
  const events: RawEvent[] = [
    { time: '2026-11-29T10:02:00Z', name: 'pageview', visitorId: 101n, sessionId: 1001n, pathname: '/' },
    { time: '2026-11-29T10:03:00Z', name: 'engagement', visitorId: 101n, sessionId: 1001n, pathname: '/', engagementMs: 12_000 },
    { time: '2026-11-29T10:04:00Z', name: 'pageview', visitorId: 101n, sessionId: 1001n, pathname: '/pricing' },
    { time: '2026-11-29T10:05:30Z', name: 'signup', visitorId: 101n, sessionId: 1001n, pathname: '/pricing', props: { plan: 'pro', seats: 3 } },
    { time: '2026-11-29T10:07:00Z', name: 'pageview', visitorId: 102n, sessionId: 1002n, pathname: '/blog', eventId: duplicated },
    { time: '2026-11-29T10:07:00Z', name: 'pageview', visitorId: 102n, sessionId: 1002n, pathname: '/blog', eventId: duplicated },
    { time: '2026-11-29T10:14:59.500Z', name: 'pageview', visitorId: 101n, sessionId: 1003n, pathname: '/pricing' },
    { time: '2026-11-29T10:16:00Z', name: 'engagement', visitorId: 101n, sessionId: 1003n, pathname: '/pricing', engagementMs: 5_000 },
    { time: '2026-11-29T10:20:00.250Z', name: 'pageview', visitorId: 101n, sessionId: 1003n, pathname: '/checkout' },
    { time: '2026-11-29T11:05:00Z', name: 'pageview', visitorId: 103n, sessionId: 1004n, pathname: '/' },
    { time: '2026-11-29T11:05:30Z', name: 'signup', visitorId: 103n, sessionId: 1004n, pathname: '/', props: { plan: 'free' } },
    { time: '2026-11-29T11:06:00Z', name: 'download', visitorId: 103n, sessionId: 1004n, pathname: '/', props: { file: 'a.pdf', big: true } },
  ];
  const sessions: RawSession[] = [
    { startedAt: '2026-11-29T10:02:00Z', lastSeenAt: '2026-11-29T10:05:30Z', sessionId: 1001n, visitorId: 101n, entryPage: '/', exitPage: '/pricing', pageviews: 2, events: 4, engaged: true, ...google, ...firefoxOnLinux },
    {
      startedAt: '2026-11-29T10:07:00Z', lastSeenAt: '2026-11-29T10:07:00Z', sessionId: 1002n, visitorId: 102n, entryPage: '/blog', exitPage: '/blog', pageviews: 1, events: 1, engaged: false,
      channel: 'Email', referrerSource: 'newsletter', utmSource: 'newsletter', utmMedium: 'email', utmCampaign: 'nov',
      device: 'mobile', browser: 'Safari', browserVersion: '17.1', os: 'iOS', osVersion: '17.1', country: 'FR',
    },
    { startedAt: '2026-11-29T10:14:59.500Z', lastSeenAt: '2026-11-29T10:20:00.250Z', sessionId: 1003n, visitorId: 101n, entryPage: '/pricing', exitPage: '/checkout', pageviews: 2, events: 3, engaged: false, ...google, ...firefoxOnLinux },
    {
      startedAt: '2026-11-29T11:05:00Z', lastSeenAt: '2026-11-29T11:06:00Z', sessionId: 1004n, visitorId: 103n, entryPage: '/', exitPage: '/', pageviews: 1, events: 3, engaged: true,
      hostname: 'www.shop.example', referrer: 'https://news.ycombinator.com/item', referrerSource: 'news.ycombinator.com', channel: 'Referral',
      device: 'tablet', browser: 'Chrome', browserVersion: '131.0', os: 'Android', osVersion: '14', country: 'US', region: 'US-CA', city: 'San Francisco',
    },
  ];
  return { events, sessions };
}

import type { ColumnType } from 'kysely';
import type { EventOrigin, EventRow } from '@justanalytics/collector';
import { paramColumnsOf, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/**
 * What one flush adds to one session: a whole new session, or the events a
 * flush adds to one already stored. The visit fields (hostname, entry page,
 * referrer … device) come from the session's first event; for a session
 * already stored they are ignored by the upsert.
 */
export type SessionDelta = VisitFields & {
  siteId: string;
  /** Microsecond timestamptz literals (exact, as events' `time` is stored). */
  startedAt: string;
  sessionId: bigint;
  visitorId: bigint;
  userId: string | null;
  anonymousId: string | null;
  lastSeenAt: string;
  entryPage: string;
  /** The page of the flush's latest pageview (else, for a new session, the entry page). */
  exitPage: string;
  pageviews: number;
  events: number;
  engaged: boolean;
};

/** What a session keeps of its first event, as the collector's EventRow names it. */
type VisitFields = Pick<
  EventRow,
  | 'hostname'
  | 'referrer'
  | 'referrerSource'
  | 'channel'
  | 'utmSource'
  | 'utmMedium'
  | 'utmCampaign'
  | 'utmTerm'
  | 'utmContent'
  | 'clickId'
  | 'country'
  | 'region'
  | 'city'
  | 'browser'
  | 'browserVersion'
  | 'os'
  | 'osVersion'
  | 'device'
  | 'screenWidth'
  | 'screenHeight'
  | 'origin'
>;

const column = paramColumnsOf<SessionDelta>();
const nullableInt = (value: number | null): string | null => (value === null ? null : String(value));

/** The columns of sessions in table order, each with a delta's value (store/events/session-upsert.ts). */
export const sessionColumns = [
  column('site_id', 'int8', (d) => d.siteId),
  column('started_at', 'timestamptz', (d) => d.startedAt),
  column('session_id', 'int8', (d) => d.sessionId.toString()),
  column('visitor_id', 'int8', (d) => d.visitorId.toString()),
  column('user_id', 'text', (d) => d.userId),
  column('anonymous_id', 'text', (d) => d.anonymousId),
  column('last_seen_at', 'timestamptz', (d) => d.lastSeenAt),
  column('hostname', 'text', (d) => d.hostname),
  column('entry_page', 'text', (d) => d.entryPage),
  column('exit_page', 'text', (d) => d.exitPage),
  column('pageviews', 'int8', (d) => String(d.pageviews)),
  column('events', 'int8', (d) => String(d.events)),
  column('engaged', 'bool', (d) => String(d.engaged)),
  column('referrer', 'text', (d) => d.referrer),
  column('referrer_source', 'text', (d) => d.referrerSource),
  column('channel', 'text', (d) => d.channel),
  column('utm_source', 'text', (d) => d.utmSource),
  column('utm_medium', 'text', (d) => d.utmMedium),
  column('utm_campaign', 'text', (d) => d.utmCampaign),
  column('utm_term', 'text', (d) => d.utmTerm),
  column('utm_content', 'text', (d) => d.utmContent),
  column('click_id', 'text', (d) => d.clickId),
  column('country', 'text', (d) => d.country),
  column('region', 'text', (d) => d.region),
  column('city', 'text', (d) => d.city),
  column('browser', 'text', (d) => d.browser),
  column('browser_version', 'text', (d) => d.browserVersion),
  column('os', 'text', (d) => d.os),
  column('os_version', 'text', (d) => d.osVersion),
  column('device', 'text', (d) => d.device),
  column('screen_width', 'int4', (d) => nullableInt(d.screenWidth)),
  column('screen_height', 'int4', (d) => nullableInt(d.screenHeight)),
  column('origin', 'text', (d) => d.origin),
] as const;

type Int8 = ColumnType<string, never, never>; // read as decimal strings
type Stored<T> = ColumnType<T, never, never>;

/**
 * One visit. Written by store/events with an unnest upsert (sessionColumns),
 * never through Kysely inserts; `user_id` is also set by the identity writer.
 */
export interface SessionsTable {
  site_id: Stored<string>;
  /** The first event's time; the partition key, so a visit across midnight stays in its first day. */
  started_at: Stored<Date>;
  session_id: Int8;
  visitor_id: Int8;
  user_id: ColumnType<string | null, never, string | null>;
  anonymous_id: Stored<string | null>;
  /** The latest event's time: duration = last_seen_at − started_at. */
  last_seen_at: Stored<Date>;
  hostname: Stored<string>;
  entry_page: Stored<string>;
  /** The latest pageview's page (engagement events do not change it). */
  exit_page: Stored<string>;
  pageviews: Int8;
  /** The visit's events, pageviews included, engagement events not (the events metric). */
  events: Int8;
  /** A custom event, or an engagement event of 10 s or more: bounce = pageviews ≤ 1 AND NOT engaged. */
  engaged: Stored<boolean>;
  referrer: Stored<string>;
  referrer_source: Stored<string>;
  channel: Stored<string>;
  utm_source: Stored<string>;
  utm_medium: Stored<string>;
  utm_campaign: Stored<string>;
  utm_term: Stored<string>;
  utm_content: Stored<string>;
  click_id: Stored<string>;
  country: Stored<string>;
  region: Stored<string>;
  city: Stored<string>;
  browser: Stored<string>;
  browser_version: Stored<string>;
  os: Stored<string>;
  os_version: Stored<string>;
  device: Stored<string>;
  screen_width: Stored<number | null>;
  screen_height: Stored<number | null>;
  origin: Stored<EventOrigin>;
}

/** Fails to compile when SessionsTable and sessionColumns name different columns. */
export type SessionsTableMatchesColumns = Assert<SameNames<keyof SessionsTable, ColumnNames<typeof sessionColumns>>>;

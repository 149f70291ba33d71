import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { PropValue } from '@justanalytics/collector';
import type { EventsTable } from '../../db/tables/events.ts';
import type { SessionsTable } from '../../db/tables/sessions.ts';

// How sessions and events are shown by the journey views: the columns read
// and the JSON made of them, in one place for the user, events and session views.

export interface JourneySession {
  sessionId: string;
  startedAt: string;
  lastSeenAt: string;
  durationMs: number;
  userId: string | null;
  anonymousId: string | null;
  hostname: string;
  entryPage: string;
  exitPage: string;
  pageviews: number;
  events: number;
  bounce: boolean;
  source: string;
  referrer: string;
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
  country: string;
  region: string;
  city: string;
  device: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
}

export interface JourneyEvent {
  eventId: string;
  time: string;
  timeUnixNano: string;
  name: string;
  sessionId: string;
  userId: string | null;
  anonymousId: string | null;
  hostname: string;
  pathname: string;
  query: string;
  title: string;
  props: Record<string, PropValue>;
  engagementMs: number | null;
  scrollDepth: number | null;
}

// The columns the views read, named once: the SQL selects them and the row types are the tables' own.
const sessionColumnNames = [
  'session_id', 'started_at', 'last_seen_at', 'user_id', 'anonymous_id', 'hostname', 'entry_page', 'exit_page', 'pageviews', 'events', 'engaged',
  'referrer_source', 'referrer', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'country', 'region', 'city', 'device',
  'browser', 'browser_version', 'os', 'os_version',
] as const satisfies ReadonlyArray<keyof SessionsTable>;
const eventColumnNames = [
  'event_id', 'time', 'time_ns', 'name', 'session_id', 'user_id', 'anonymous_id', 'hostname', 'pathname', 'query', 'title', 'props', 'engagement_ms', 'scroll_depth',
] as const satisfies ReadonlyArray<keyof EventsTable>;

export type SessionRow = Pick<Selectable<SessionsTable>, (typeof sessionColumnNames)[number]>;
export type EventRowRead = Pick<Selectable<EventsTable>, (typeof eventColumnNames)[number]>;

/** The session columns SessionRow names, of `alias`. */
export function sessionColumnsSql(alias: string): RawBuilder<unknown> {
  return sql.join(sessionColumnNames.map((name) => sql.ref(`${alias}.${name}`)));
}

/** The event columns EventRowRead names, of `alias`. */
export function eventColumnsSql(alias: string): RawBuilder<unknown> {
  return sql.join(eventColumnNames.map((name) => sql.ref(`${alias}.${name}`)));
}

export function journeySession(row: SessionRow): JourneySession {
  const pageviews = Number(row.pageviews);
  return {
    sessionId: row.session_id,
    startedAt: row.started_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    durationMs: row.last_seen_at.getTime() - row.started_at.getTime(),
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    hostname: row.hostname,
    entryPage: row.entry_page,
    exitPage: row.exit_page,
    pageviews,
    events: Number(row.events),
    // The contract's bounce: at most one pageview and no engagement.
    bounce: pageviews <= 1 && !row.engaged,
    source: row.referrer_source,
    referrer: row.referrer,
    channel: row.channel,
    utmSource: row.utm_source,
    utmMedium: row.utm_medium,
    utmCampaign: row.utm_campaign,
    utmTerm: row.utm_term,
    utmContent: row.utm_content,
    country: row.country,
    region: row.region,
    city: row.city,
    device: row.device,
    browser: row.browser,
    browserVersion: row.browser_version,
    os: row.os,
    osVersion: row.os_version,
  };
}

export function journeyEvent(row: EventRowRead): JourneyEvent {
  return {
    eventId: row.event_id.toString('hex'),
    time: row.time.toISOString(),
    timeUnixNano: row.time_ns,
    name: row.name,
    sessionId: row.session_id,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    hostname: row.hostname,
    pathname: row.pathname,
    query: row.query,
    title: row.title,
    props: row.props,
    engagementMs: row.engagement_ms === null ? null : Number(row.engagement_ms),
    scrollDepth: row.scroll_depth,
  };
}

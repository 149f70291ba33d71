import type { ColumnType } from 'kysely';
import type { EventOrigin, EventRow, PropValue } from '@justanalytics/collector';
import { copyBytea, copyJson, copyNull, copyNullableText, copyText, nanosToTimestamp } from '../copy-text.ts';
import { copyColumnsOf, copyStatement, type Assert, type ColumnNames, type SameNames } from './columns.ts';

/**
 * What one events row is made from: the event, its batch's site, and what the
 * store decided for it (the session it joined, and who it belongs to once
 * identities and the previous day's visitor ID are taken into account).
 */
export interface EventCopyRow {
  siteId: string;
  event: EventRow;
  sessionId: bigint;
  visitorId: bigint;
  userId: string | null;
}

const column = copyColumnsOf<EventCopyRow>();

/** The columns of events in COPY order, each with how an event fills it. */
export const eventColumns = [
  column('site_id', 'int8', (r) => r.siteId),
  column('time', 'timestamptz', (r) => nanosToTimestamp(r.event.timeUnixNano)),
  column('time_ns', 'int8', (r) => r.event.timeUnixNano.toString()),
  column('event_id', 'bytea', (r) => copyBytea(r.event.eventId)),
  column('name', 'text', (r) => copyText(r.event.name)),
  column('session_id', 'int8', (r) => r.sessionId.toString()),
  column('visitor_id', 'int8', (r) => r.visitorId.toString()),
  column('user_id', 'text', (r) => copyNullableText(r.userId)),
  column('anonymous_id', 'text', (r) => copyNullableText(r.event.anonymousId)),
  column('hostname', 'text', (r) => copyText(r.event.hostname)),
  column('pathname', 'text', (r) => copyText(r.event.pathname)),
  column('query', 'text', (r) => copyText(r.event.query)),
  column('title', 'text', (r) => copyText(r.event.title)),
  column('engagement_ms', 'int8', (r) => (r.event.engagementMs === null ? copyNull : String(Math.trunc(r.event.engagementMs)))),
  column('scroll_depth', 'int2', (r) => (r.event.scrollDepth === null ? copyNull : String(Math.trunc(r.event.scrollDepth)))),
  column('props', 'jsonb', (r) => copyJson(r.event.props)),
  column('origin', 'text', (r) => copyText(r.event.origin)),
] as const;

export const copyEventsSql = copyStatement('events', eventColumns);

type Int8 = ColumnType<string, never, never>; // read as decimal strings
type Stored<T> = ColumnType<T, never, never>;

/** Rows are written by store/events with COPY (eventColumns), never through Kysely, hence `never` inserts. */
export interface EventsTable {
  site_id: Stored<string>;
  time: Stored<Date>;
  /** `time` in exact nanoseconds. */
  time_ns: Int8;
  /** 16 bytes made by the collector. */
  event_id: Stored<Buffer>;
  /** 'pageview', 'engagement' or a custom event name. */
  name: Stored<string>;
  session_id: Int8;
  /** The session's visitor (a visit continued across midnight keeps its first day's ID). */
  visitor_id: Int8;
  /** The user, also when the event only carried an anonymous ID that was identified before it arrived. */
  user_id: Stored<string | null>;
  anonymous_id: Stored<string | null>;
  hostname: Stored<string>;
  pathname: Stored<string>;
  /** Without tracking parameters, no '?'. */
  query: Stored<string>;
  title: Stored<string>;
  engagement_ms: Stored<string | null>;
  scroll_depth: Stored<number | null>;
  props: Stored<Record<string, PropValue>>;
  origin: Stored<EventOrigin>;
}

/** Fails to compile when EventsTable and eventColumns name different columns. */
export type EventsTableMatchesColumns = Assert<SameNames<keyof EventsTable, ColumnNames<typeof eventColumns>>>;

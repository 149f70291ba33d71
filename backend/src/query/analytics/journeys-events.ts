import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/database.ts';
import { userIdentities } from './journeys.ts';
import { eventColumnsSql, journeyEvent, type EventRowRead, type JourneyEvent } from './journeys-rows.ts';

// A user's events in order, across sessions and devices: events with the
// user ID, or with an anonymous ID identified as the user. Paged by a cursor
// of the last event's (time in nanoseconds, event ID), so a page boundary
// inside one instant neither repeats nor skips an event.

export const DEFAULT_JOURNEY_EVENTS = 100;
export const MAX_JOURNEY_EVENTS = 1000;

export class InvalidJourneyCursorError extends Error {}

/** int8's largest (the year 2262): no forged cursor reaches SQL as a cast error. */
const MAX_TIME_NS = 2n ** 63n - 1n;

export interface JourneyEventsPage {
  events: JourneyEvent[];
  nextCursor: string | null;
}

interface Cursor {
  timeNs: bigint;
  eventId: Buffer;
}

export async function userEvents(db: Kysely<Database>, siteId: string, userId: string, page: { limit: number; cursor?: string }): Promise<JourneyEventsPage> {
  const after = page.cursor === undefined ? null : decodeCursor(page.cursor);
  const anonymousIds = (await userIdentities(db, siteId, userId)).map((identity) => identity.anonymous_id);
  // time bounds the index scan; (time_ns, event_id) is the exact order.
  const from =
    after === null
      ? sql``
      : sql`AND e.time >= ${new Date(Number(after.timeNs / 1_000_000n))} AND (e.time_ns, e.event_id) > (${after.timeNs.toString()}::int8, ${after.eventId}::bytea)`;
  const result = await sql<EventRowRead>`
    SELECT ${eventColumnsSql('e')} FROM events e
    WHERE e.site_id = ${siteId} AND (e.user_id = ${userId} OR e.anonymous_id = ANY(${anonymousIds}::text[])) ${from}
    ORDER BY e.time, e.time_ns, e.event_id
    LIMIT ${page.limit + 1}`.execute(db);
  const rows = result.rows.slice(0, page.limit);
  const last = rows.at(-1);
  return {
    events: rows.map(journeyEvent),
    nextCursor: result.rows.length > page.limit && last !== undefined ? encodeCursor({ timeNs: BigInt(last.time_ns), eventId: last.event_id }) : null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.timeNs}:${cursor.eventId.toString('hex')}`).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  const match = /^(-?\d{1,19}):([0-9a-f]{2,64})$/.exec(Buffer.from(text, 'base64url').toString());
  const timeNs = match === null ? null : BigInt(match[1] as string);
  if (match === null || timeNs === null || (match[2] as string).length % 2 !== 0 || timeNs < 0n || timeNs > MAX_TIME_NS) {
    throw new InvalidJourneyCursorError('cursor is not a nextCursor of this list');
  }
  return { timeNs, eventId: Buffer.from(match[2] as string, 'hex') };
}

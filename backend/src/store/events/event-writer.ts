import { serverVisitorId, type EventRow } from '@justanalytics/collector';
import type pg from 'pg';
import { dayOfNanos } from '../../db/days.ts';
import type { PartitionedTable } from '../../db/partitions.ts';
import { copyChunks } from '../../db/tables/columns.ts';
import { copyEventsSql, eventColumns, type EventCopyRow } from '../../db/tables/events.ts';
import { admitByDay } from '../admit-by-day.ts';
import { copyInto } from '../copy-into.ts';
import type { Admission, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';
import { DirtyBuckets, markDirtyBuckets } from './dirty-buckets.ts';
import { findIdentities, identityKey } from './identity-lookup.ts';
import { findOpenSessions } from './open-sessions.ts';
import { assignSessions, eventMicros, newSessionId, type AssignedEvent, type ResolvedEvent, type TouchedSession } from './session-assignment.ts';
import { sessionDelta, upsertSessions } from './session-upsert.ts';
import { lockSitesForSessions } from './site-locks.ts';

/**
 * The events signal's writer: per flush, in its transaction, it takes each
 * site's session lock, applies identities (an identified anonymous ID's
 * events belong to its user), looks up the sessions the events may continue
 * (one query), assigns every event a session, COPYs the events, upserts the
 * sessions (one statement), and marks the 15-minute buckets touched dirty
 * for the rollups. Sessions are thus kept at ingest, never recomputed.
 */
export class EventWriter implements SignalWriter<EventRow> {
  // Sessions start at an event's time, so the events' days are the new sessions' days too.
  readonly tables: readonly PartitionedTable[] = ['events', 'sessions'];
  readonly #newSessionId: () => bigint;

  constructor(options: { newSessionId?: () => bigint } = {}) {
    this.#newSessionId = options.newSessionId ?? newSessionId;
  }

  admit(rows: readonly EventRow[], window: DayWindow): Admission<EventRow> {
    return admitByDay(rows, window, { noun: ['event', 'events'], dated: 'dated', dayOf: (row) => dayOfNanos(row.timeUnixNano) });
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<EventRow>[]): Promise<undefined> {
    const bySite = new Map<string, EventRow[]>();
    for (const { siteId, rows } of writes) {
      const events = bySite.get(siteId) ?? [];
      for (const { row } of rows) events.push(row);
      bySite.set(siteId, events);
    }
    if (bySite.size === 0) return undefined;
    await lockSitesForSessions(client, bySite.keys());

    const resolved = await resolveIdentities(client, bySite);
    let earliestUs: bigint | null = null;
    const visitors: Array<{ siteId: string; visitorId: bigint }> = [];
    for (const [siteId, events] of resolved) {
      const seen = new Set<bigint>();
      for (const { event, visitorId } of events) {
        const us = eventMicros(event);
        if (earliestUs === null || us < earliestUs) earliestUs = us;
        for (const id of [visitorId, event.previousVisitorId]) {
          if (id === null || seen.has(id)) continue;
          seen.add(id);
          visitors.push({ siteId, visitorId: id });
        }
      }
    }
    const open = await findOpenSessions(client, visitors, earliestUs ?? 0n);

    const copyRows: EventCopyRow[] = [];
    const touched: Array<{ siteId: string; session: TouchedSession }> = [];
    const dirty = new DirtyBuckets();
    for (const [siteId, events] of resolved) {
      const assignment = assignSessions(events, open.get(siteId) ?? [], this.#newSessionId);
      for (const assigned of assignment.events) {
        copyRows.push(copyRowOf(siteId, assigned));
        dirty.add(siteId, Number(assigned.event.timeUnixNano / 1_000_000n));
      }
      for (const session of assignment.sessions) {
        touched.push({ siteId, session });
        dirty.add(siteId, Number(session.session.startedUs / 1000n));
      }
    }
    await copyInto(client, copyEventsSql, copyChunks(eventColumns, copyRows));
    await upsertSessions(
      client,
      touched.map(({ siteId, session }) => sessionDelta(siteId, session)),
    );
    await markDirtyBuckets(client, dirty);
    return undefined;
  }
}

function copyRowOf(siteId: string, assigned: AssignedEvent): EventCopyRow {
  return { siteId, event: assigned.event, sessionId: assigned.sessionId, visitorId: assigned.visitorId, userId: assigned.userId };
}

/**
 * Who each event belongs to: an event with only an anonymous ID that an
 * identify linked to a user gets that user, and the user's visitor ID, so it
 * joins the user's sessions.
 */
async function resolveIdentities(client: pg.PoolClient, bySite: ReadonlyMap<string, readonly EventRow[]>): Promise<Map<string, ResolvedEvent[]>> {
  const anonymous: Array<{ siteId: string; anonymousId: string }> = [];
  const asked = new Set<string>();
  for (const [siteId, events] of bySite) {
    for (const event of events) {
      if (event.userId !== null || event.anonymousId === null) continue;
      const key = identityKey(siteId, event.anonymousId);
      if (asked.has(key)) continue;
      asked.add(key);
      anonymous.push({ siteId, anonymousId: event.anonymousId });
    }
  }
  const users = await findIdentities(client, anonymous);
  const resolved = new Map<string, ResolvedEvent[]>();
  for (const [siteId, events] of bySite) {
    resolved.set(
      siteId,
      events.map((event) => {
        const user = event.userId === null && event.anonymousId !== null ? users.get(identityKey(siteId, event.anonymousId)) : undefined;
        if (user === undefined) return { event, visitorId: event.visitorId, userId: event.userId };
        return { event, visitorId: serverVisitorId(siteId, { userId: user }), userId: user };
      }),
    );
  }
  return resolved;
}

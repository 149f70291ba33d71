import type { EventRow } from '@justanalytics/collector';
import { SESSION_TIMEOUT_US } from './session-rules.ts';
import { randomInt64 } from '@justanalytics/collector/model';

/** A stored session a flush's events may join, as the lookup found it (times in exact microseconds). */
export interface OpenSession {
  sessionId: bigint;
  visitorId: bigint;
  startedUs: bigint;
  lastSeenUs: bigint;
}

/** An event of one site with who it belongs to once identities are applied. */
export interface ResolvedEvent {
  event: EventRow;
  visitorId: bigint;
  userId: string | null;
}

/** An event with its session, and the visitor it is stored under (the session's). */
export interface AssignedEvent extends ResolvedEvent {
  sessionId: bigint;
}

/** A session the flush adds events to: made now (`isNew`) or stored before. */
export interface TouchedSession {
  session: OpenSession;
  isNew: boolean;
  /** This flush's events of the session, in time order. */
  events: AssignedEvent[];
}

export interface Assignment {
  events: AssignedEvent[];
  sessions: TouchedSession[];
}

export function eventMicros(event: EventRow): bigint {
  return event.timeUnixNano / 1000n;
}

/** A random signed 64-bit session ID. */
export function newSessionId(): bigint {
  return randomInt64();
}

/**
 * Assigns one site's events to sessions: in time order, an event joins the
 * session its visitor was last seen in when that was at most 30 minutes
 * before (looked up by visitor ID, then by the previous day's visitor ID, so
 * a visit crosses the daily salt change and keeps its first visitor ID);
 * otherwise it starts a session. `open` are the stored sessions of the
 * flush's visitors that may still be joined. The caller holds the site's
 * session lock, so `open` is not changed by anyone else meanwhile.
 */
export function assignSessions(events: readonly ResolvedEvent[], open: readonly OpenSession[], newId: () => bigint = newSessionId): Assignment {
  // The latest session of each visitor ID, as the walk goes.
  const latest = new Map<bigint, TouchedSession>();
  for (const session of open) {
    const known = latest.get(session.visitorId);
    if (known === undefined || known.session.lastSeenUs < session.lastSeenUs) latest.set(session.visitorId, { session: { ...session }, isNew: false, events: [] });
  }
  const touched = new Set<TouchedSession>();
  const assigned: AssignedEvent[] = [];
  const sorted = [...events].sort((a, b) => (a.event.timeUnixNano < b.event.timeUnixNano ? -1 : a.event.timeUnixNano > b.event.timeUnixNano ? 1 : 0));
  for (const resolved of sorted) {
    const us = eventMicros(resolved.event);
    const previous = resolved.event.previousVisitorId;
    let current = joinable(latest.get(resolved.visitorId), us);
    if (current === undefined && previous !== null && previous !== resolved.visitorId) current = joinable(latest.get(previous), us);
    if (current === undefined) {
      current = { session: { sessionId: newId(), visitorId: resolved.visitorId, startedUs: us, lastSeenUs: us }, isNew: true, events: [] };
      latest.set(resolved.visitorId, current);
    }
    if (us > current.session.lastSeenUs) current.session.lastSeenUs = us;
    const event: AssignedEvent = { ...resolved, visitorId: current.session.visitorId, sessionId: current.session.sessionId };
    current.events.push(event);
    touched.add(current);
    assigned.push(event);
  }
  return { events: assigned, sessions: [...touched] };
}

/** The session when an event at `us` belongs to it: within the timeout after its last event (and not long before its start). */
function joinable(candidate: TouchedSession | undefined, us: bigint): TouchedSession | undefined {
  if (candidate === undefined) return undefined;
  const { startedUs, lastSeenUs } = candidate.session;
  return us >= startedUs - SESSION_TIMEOUT_US && us <= lastSeenUs + SESSION_TIMEOUT_US ? candidate : undefined;
}

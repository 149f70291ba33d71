// The events signal's writer (EventWriter) and the identities' (IdentityWriter)
// through the PostgresSink on a real database: sessions kept at ingest (30
// minutes of silence ends one, a visit crosses midnight through the previous
// day's visitor ID, counts, bounce, engagement, duration, entry and exit page),
// two sinks on one database agreeing on one session, identify merging an
// anonymous visitor into its user, and the 15-minute buckets marked dirty.
import type { EventRow, IdentityRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import type { PostgresSink } from '../src/store/postgres-sink.ts';
import { serverVisitorId } from '@justanalytics/collector';
import { makeEventRow, makeIdentityRow } from './helpers/event-rows.ts';
import { startWriterTest } from './helpers/writer-test.ts';

const now = Date.parse('2026-11-30T12:00:00Z');
const { db, newSiteId, newSink } = await startWriterTest(t, { firstSiteId: 700, now });

async function writeEvents(sink: PostgresSink, siteId: string, rows: EventRow[]): Promise<void> {
  const result = await sink.write({ signal: 'events', siteId, rows });
  if (result.rejected !== 0) throw new Error(`rejected ${result.rejected}: ${result.message}`);
}

async function writeIdentities(sink: PostgresSink, siteId: string, rows: IdentityRow[]): Promise<void> {
  await sink.write({ signal: 'identities', siteId, rows });
}

interface StoredSession {
  session_id: string;
  visitor_id: string;
  user_id: string | null;
  anonymous_id: string | null;
  started_at: string;
  last_seen_at: string;
  entry_page: string;
  exit_page: string;
  pageviews: number;
  events: number;
  engaged: boolean;
  bounce: boolean;
  duration_ms: number;
  referrer_source: string;
  country: string;
  partition: string;
}

async function storedSessions(siteId: string): Promise<StoredSession[]> {
  const { rows } = await sql<StoredSession>`
    SELECT session_id::text, visitor_id::text, user_id, anonymous_id,
      to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS started_at,
      to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS last_seen_at,
      entry_page, exit_page, pageviews::int AS pageviews, events::int AS events, engaged,
      (pageviews <= 1 AND NOT engaged) AS bounce,
      (extract(epoch FROM last_seen_at - started_at) * 1000)::int AS duration_ms,
      referrer_source, country, tableoid::regclass::text AS partition
    FROM sessions WHERE site_id = ${siteId} ORDER BY started_at`.execute(db);
  return rows;
}

interface StoredEvent {
  name: string;
  pathname: string;
  session_id: string;
  visitor_id: string;
  user_id: string | null;
  time: string;
}

async function storedEvents(siteId: string): Promise<StoredEvent[]> {
  const { rows } = await sql<StoredEvent>`
    SELECT name, pathname, session_id::text, visitor_id::text, user_id,
      to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS time
    FROM events WHERE site_id = ${siteId} ORDER BY time_ns`.execute(db);
  return rows;
}

async function dirtyBuckets(siteId: string): Promise<string[]> {
  const { rows } = await sql<{ bucket: string }>`
    SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI') AS bucket
    FROM analytics_dirty_buckets WHERE site_id = ${siteId} ORDER BY bucket`.execute(db);
  return rows.map((row) => row.bucket);
}

t.test('30 minutes without events end a session; counts, bounce, engagement, duration and pages', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  await writeEvents(sink, siteId, [
    makeEventRow({ at: '2026-11-30T10:00:00Z', pathname: '/' }),
    makeEventRow({ at: '2026-11-30T10:05:00Z', pathname: '/pricing', referrerSource: 'Bing' }),
    // Engagement: neither a pageview, nor the exit page, nor counted in events; it extends the visit, and 12 s engages.
    makeEventRow({ at: '2026-11-30T10:06:00Z', name: 'engagement', pathname: '/pricing', engagementMs: 12_000 }),
    // 34 minutes after the last event: a new session, a bounce.
    makeEventRow({ at: '2026-11-30T10:40:00Z', pathname: '/blog' }),
    // Another visitor: one pageview and a short engagement: still a bounce.
    makeEventRow({ at: '2026-11-30T10:41:00Z', visitorId: 2002n, pathname: '/docs' }),
    makeEventRow({ at: '2026-11-30T10:41:05Z', visitorId: 2002n, name: 'engagement', pathname: '/docs', engagementMs: 5_000 }),
  ]);
  const sessions = await storedSessions(siteId);
  t.equal(sessions.length, 3);
  t.match(sessions[0], {
    visitor_id: '1001',
    started_at: '2026-11-30T10:00:00',
    last_seen_at: '2026-11-30T10:06:00',
    entry_page: '/',
    exit_page: '/pricing',
    pageviews: 2,
    events: 2,
    engaged: true,
    bounce: false,
    duration_ms: 360_000,
    referrer_source: 'Google',
    country: 'DE',
    partition: 'sessions_p20261130',
  });
  t.match(sessions[1], { visitor_id: '1001', entry_page: '/blog', exit_page: '/blog', pageviews: 1, events: 1, bounce: true, duration_ms: 0 });
  t.match(sessions[2], { visitor_id: '2002', entry_page: '/docs', exit_page: '/docs', pageviews: 1, events: 1, engaged: false, bounce: true, duration_ms: 5_000 });
  const events = await storedEvents(siteId);
  t.same(
    events.map((event) => event.session_id),
    [sessions[0]!.session_id, sessions[0]!.session_id, sessions[0]!.session_id, sessions[1]!.session_id, sessions[2]!.session_id, sessions[2]!.session_id],
  );
  t.same(await dirtyBuckets(siteId), ['2026-11-30T10:00', '2026-11-30T10:30'], "the events' and the sessions' start buckets");
});

t.test('later flushes add to the stored session: counts, last seen, exit page, engaged', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  await writeEvents(sink, siteId, [makeEventRow({ at: '2026-11-30T09:50:00Z', pathname: '/' })]);
  t.match(await storedSessions(siteId), [{ pageviews: 1, events: 1, bounce: true, exit_page: '/' }]);
  await writeEvents(sink, siteId, [makeEventRow({ at: '2026-11-30T10:15:00Z', name: 'signup', pathname: '/join' })]);
  // A custom event engages but is no pageview: the exit page stays.
  t.match(await storedSessions(siteId), [{ pageviews: 1, events: 2, engaged: true, bounce: false, exit_page: '/', last_seen_at: '2026-11-30T10:15:00' }]);
  await writeEvents(sink, siteId, [makeEventRow({ at: '2026-11-30T10:20:00Z', pathname: '/thanks' })]);
  const [session] = await storedSessions(siteId);
  t.match(session, { started_at: '2026-11-30T09:50:00', pageviews: 2, events: 3, exit_page: '/thanks', duration_ms: 30 * 60_000, referrer_source: 'Google' });
  t.equal((await storedSessions(siteId)).length, 1);
  t.same(await dirtyBuckets(siteId), ['2026-11-30T09:45', '2026-11-30T10:15'], 'the start bucket, and the later events’ bucket');
  t.equal(new Set((await storedEvents(siteId)).map((event) => event.session_id)).size, 1);
});

t.test('a session crosses midnight through the previous day’s visitor ID and keeps its first day', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  await writeEvents(sink, siteId, [makeEventRow({ at: '2026-11-29T23:50:00Z', visitorId: 111n, pathname: '/late' })]);
  // After midnight the salt changed: a new visitor ID, yesterday's as the previous one.
  await writeEvents(sink, siteId, [
    makeEventRow({ at: '2026-11-30T00:05:00Z', visitorId: 222n, previousVisitorId: 111n, pathname: '/later' }),
    makeEventRow({ at: '2026-11-30T00:10:00Z', visitorId: 222n, previousVisitorId: 111n, pathname: '/latest' }),
  ]);
  const sessions = await storedSessions(siteId);
  t.equal(sessions.length, 1);
  t.match(sessions[0], {
    visitor_id: '111',
    started_at: '2026-11-29T23:50:00',
    last_seen_at: '2026-11-30T00:10:00',
    pageviews: 3,
    exit_page: '/latest',
    duration_ms: 20 * 60_000,
    partition: 'sessions_p20261129',
  });
  t.same(
    (await storedEvents(siteId)).map((event) => event.visitor_id),
    ['111', '111', '111'],
    "the events after midnight are stored under the session's visitor",
  );
  // Once the session timed out, the new ID starts its own.
  await writeEvents(sink, siteId, [makeEventRow({ at: '2026-11-30T01:00:00Z', visitorId: 222n, previousVisitorId: 111n, pathname: '/next' })]);
  const after = await storedSessions(siteId);
  t.equal(after.length, 2);
  t.match(after[1], { visitor_id: '222', started_at: '2026-11-30T01:00:00', partition: 'sessions_p20261130' });
});

t.test('one flush with events in time disorder and both visitor IDs walks them in time order', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  await writeEvents(sink, siteId, [
    makeEventRow({ at: '2026-11-30T00:02:00Z', visitorId: 444n, previousVisitorId: 333n, pathname: '/b' }),
    makeEventRow({ at: '2026-11-29T23:58:00Z', visitorId: 333n, pathname: '/a' }),
  ]);
  t.match(await storedSessions(siteId), [{ visitor_id: '333', entry_page: '/a', exit_page: '/b', pageviews: 2, started_at: '2026-11-29T23:58:00' }]);
});

t.test('two sinks on one database writing the same new visitor at once make one session', async (t) => {
  for (let round = 0; round < 5; round++) {
    const siteId = newSiteId();
    const a = newSink(t);
    const b = newSink(t);
    await Promise.all([
      writeEvents(a, siteId, [makeEventRow({ at: '2026-11-30T11:00:00Z', pathname: '/from-a' })]),
      writeEvents(b, siteId, [makeEventRow({ at: '2026-11-30T11:00:01Z', pathname: '/from-b' })]),
    ]);
    const sessions = await storedSessions(siteId);
    t.equal(sessions.length, 1, `round ${round}: one session`);
    t.match(sessions[0], { pageviews: 2, events: 2 });
    t.equal(new Set((await storedEvents(siteId)).map((event) => event.session_id)).size, 1);
  }
});

t.test('identify: the anonymous visitor’s sessions and later events belong to the user', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t);
  const anonymousVisitor = serverVisitorId(siteId, { anonymousId: 'anon-1' });
  const userVisitor = serverVisitorId(siteId, { userId: 'user-1' });
  const server = { origin: 'server' as const, referrer: '', referrerSource: '', channel: 'Direct', device: '', screenWidth: null, screenHeight: null };
  await writeEvents(sink, siteId, [makeEventRow({ ...server, at: '2026-11-30T08:00:00Z', name: 'opened_app', visitorId: anonymousVisitor, anonymousId: 'anon-1' })]);
  t.match(await storedSessions(siteId), [{ anonymous_id: 'anon-1', user_id: null, visitor_id: anonymousVisitor.toString() }]);
  await sql`DELETE FROM analytics_dirty_buckets WHERE site_id = ${siteId}`.execute(db);

  await writeIdentities(sink, siteId, [
    makeIdentityRow({ at: '2026-11-30T09:00:00Z', anonymousId: 'anon-1', userId: 'someone-else', traits: { plan: 'free' } }),
    makeIdentityRow({ at: '2026-11-30T09:30:00Z', anonymousId: 'anon-1', userId: 'user-1', traits: { plan: 'pro' } }),
  ]);
  t.match(await storedSessions(siteId), [{ anonymous_id: 'anon-1', user_id: 'user-1' }]);
  t.same(await dirtyBuckets(siteId), ['2026-11-30T08:00'], "the changed session's start bucket");
  // An older identify arriving late does not win; the first time is kept.
  await writeIdentities(sink, siteId, [makeIdentityRow({ at: '2026-11-30T07:00:00Z', anonymousId: 'anon-1', userId: 'stale' })]);
  const { rows: identities } = await sql<{ user_id: string; traits: unknown; first: string; last: string }>`
    SELECT user_id, traits, to_char(first_seen_at AT TIME ZONE 'UTC', 'HH24:MI') AS first, to_char(last_seen_at AT TIME ZONE 'UTC', 'HH24:MI') AS last
    FROM identities WHERE site_id = ${siteId}`.execute(db);
  t.same(identities, [{ user_id: 'user-1', traits: { plan: 'pro' }, first: '07:00', last: '09:30' }]);

  // A later event with only the anonymous ID: stored as the user, joining the user's sessions.
  await writeEvents(sink, siteId, [
    makeEventRow({ ...server, at: '2026-11-30T11:00:00Z', name: 'purchase', visitorId: anonymousVisitor, anonymousId: 'anon-1' }),
    makeEventRow({ ...server, at: '2026-11-30T11:01:00Z', name: 'purchase', visitorId: userVisitor, userId: 'user-1' }),
  ]);
  const events = await storedEvents(siteId);
  t.match(events[1], { user_id: 'user-1', visitor_id: userVisitor.toString() });
  t.match(events[2], { user_id: 'user-1', visitor_id: userVisitor.toString() });
  t.equal(events[1]!.session_id, events[2]!.session_id, "the identified anonymous event joins the user's session");
  const sessions = await storedSessions(siteId);
  t.equal(sessions.length, 2);
  t.match(sessions[1], { user_id: 'user-1', anonymous_id: 'anon-1', events: 2, visitor_id: userVisitor.toString() });
});

t.test('events outside the events retention are refused, not stored', async (t) => {
  const siteId = newSiteId();
  const sink = newSink(t, { signalRetentionDays: { events: 2 } });
  const result = await sink.write({
    signal: 'events',
    siteId,
    rows: [makeEventRow({ at: '2026-11-20T10:00:00Z' }), makeEventRow({ at: '2026-11-30T10:00:00Z' })],
  });
  t.equal(result.rejected, 1);
  t.match(result.message, /rejected 1 event dated outside the stored days/);
  t.equal((await storedEvents(siteId)).length, 1);
});

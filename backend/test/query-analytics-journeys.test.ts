// Covers the journey routes: GET /analytics/users/{userId} (first and last
// seen over sessions and identifies, traits merged latest-wins, sessions found
// by user ID and by identified anonymous IDs, newest first, with their pageview
// paths), GET /analytics/users/{userId}/events (the ordered path across
// sessions and devices, paged by cursor without repeating or skipping events
// of one instant), GET /analytics/sessions/{id} (an anonymous session with a
// negative ID), 404 for unknown users and sessions and for another site's key,
// 400 for malformed IDs and cursors, 403 without the read scope.
import t from 'tap';
import { insertEvents, insertIdentity, insertSessions, setUpAnalyticsViewTest, type ViewEvent } from './helpers/analytics-view-rows.ts';

const { db, siteA, readA, adminA, readB, request } = await setUpAnalyticsViewTest(t);

const at = (time: string) => new Date(`2026-11-${time}Z`);
const id = (n: number) => Buffer.alloc(16, n);
const events: ViewEvent[] = [
  // Device 1, anonymous (anon-1), identified as u1 at 10:04.
  { time: at('20T10:00:00'), visitorId: 101n, sessionId: 10n, pathname: '/home', anonymousId: 'anon-1', eventId: id(1) },
  { time: at('20T10:02:00'), visitorId: 101n, sessionId: 10n, pathname: '/pricing', anonymousId: 'anon-1', eventId: id(2) },
  { time: at('20T10:03:00'), visitorId: 101n, sessionId: 10n, name: 'cta', pathname: '/pricing', anonymousId: 'anon-1', eventId: id(3), props: { place: 'hero' } },
  // As u1: two events in the same nanosecond, ordered by event ID.
  { time: at('20T10:04:00'), visitorId: 102n, sessionId: 11n, name: 'signup', userId: 'u1', eventId: id(5) },
  { time: at('20T10:04:00'), visitorId: 102n, sessionId: 11n, name: 'plan_selected', userId: 'u1', eventId: id(4) },
  { time: at('20T10:05:00'), visitorId: 102n, sessionId: 11n, pathname: '/welcome', userId: 'u1', eventId: id(6), extraNs: 123n },
  // Device 2 the next day, anonymous (anon-2), identified as u1 at 09:00.
  { time: at('21T08:59:00'), visitorId: 103n, sessionId: 12n, pathname: '/docs', anonymousId: 'anon-2', eventId: id(7) },
  // Someone else, and an anonymous browser visit.
  { time: at('20T10:00:00'), visitorId: 201n, sessionId: 20n, pathname: '/home', userId: 'u2', eventId: id(8) },
  { time: at('20T12:00:00'), visitorId: 300n, sessionId: -30n, pathname: '/landing', eventId: id(9) },
  { time: at('20T12:00:20'), visitorId: 300n, sessionId: -30n, name: 'engagement', pathname: '/landing', eventId: id(10), engagementMs: 20_000 },
];
await insertEvents(db, siteA, events);
await insertSessions(db, siteA, [
  { sessionId: 10n, visitorId: 101n, anonymousId: 'anon-1', startedAt: at('20T10:00:00'), lastSeenAt: at('20T10:03:00'), entryPage: '/home', exitPage: '/pricing', pageviews: 2, events: 3, engaged: true, source: 'Google', country: 'DE', device: 'mobile' },
  { sessionId: 11n, visitorId: 102n, userId: 'u1', startedAt: at('20T10:04:00'), lastSeenAt: at('20T10:05:00'), entryPage: '/welcome', pageviews: 1, events: 3, engaged: true, country: 'DE' },
  { sessionId: 12n, visitorId: 103n, anonymousId: 'anon-2', startedAt: at('21T08:59:00'), lastSeenAt: at('21T09:01:00'), entryPage: '/docs', country: 'FR' },
  { sessionId: 20n, visitorId: 201n, userId: 'u2', startedAt: at('20T10:00:00'), lastSeenAt: at('20T10:00:00') },
  { sessionId: -30n, visitorId: 300n, startedAt: at('20T12:00:00'), lastSeenAt: at('20T12:00:20'), entryPage: '/landing', pageviews: 1, events: 2, engaged: true, source: 'Bing', channel: 'Organic Search' },
]);
await insertIdentity(db, siteA, { anonymousId: 'anon-1', userId: 'u1', traits: { plan: 'free', name: 'Ann' }, firstSeen: at('20T10:04:00') });
await insertIdentity(db, siteA, { anonymousId: 'anon-2', userId: 'u1', traits: { plan: 'pro' }, firstSeen: at('21T09:00:00') });

t.test('GET /analytics/users/{userId}: profile and sessions across devices', async (t) => {
  const { status, body } = await request('GET', '/api/v1/analytics/users/u1', readA);
  t.equal(status, 200);
  t.match(body, {
    userId: 'u1',
    firstSeen: '2026-11-20T10:00:00.000Z',
    lastSeen: '2026-11-21T09:01:00.000Z',
    traits: { plan: 'pro', name: 'Ann' },
    anonymousIds: ['anon-1', 'anon-2'],
    sessionCount: 3,
  });
  const sessions = (body as { sessions: Array<Record<string, unknown>> }).sessions;
  t.strictSame(
    sessions.map((s) => [s['sessionId'], s['pages'], s['country'], s['source'], s['durationMs'], s['bounce']]),
    [
      ['12', ['/docs'], 'FR', '', 120_000, true],
      ['11', ['/welcome'], 'DE', '', 60_000, false],
      ['10', ['/home', '/pricing'], 'DE', 'Google', 180_000, false],
    ],
  );
  t.match(sessions[2], { device: 'mobile', entryPage: '/home', exitPage: '/pricing', pageviews: 2, events: 3, anonymousId: 'anon-1', userId: null });
});

t.test('GET /analytics/users/{userId}/events: the ordered path, paged', async (t) => {
  const seen: Array<{ eventId: string; name: string; pathname: string; timeUnixNano: string }> = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/v1/analytics/users/u1/events?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const response = await request('GET', url);
    t.equal(response.status, 200);
    const page = response.body as { events: typeof seen; nextCursor: string | null };
    seen.push(...page.events);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== null && pages < 10);
  t.equal(pages, 3, 'pages of 3, 3 and 1');
  t.strictSame(
    seen.map((e) => e.eventId.slice(0, 2)),
    ['01', '02', '03', '04', '05', '06', '07'],
    'both devices, in time order; the two 10:04 events by event ID',
  );
  t.equal(seen[5]?.timeUnixNano, `${at('20T10:05:00').getTime()}000123`, 'nanoseconds kept');
  t.match(seen[2], { name: 'cta', pathname: '/pricing', props: { place: 'hero' }, anonymousId: 'anon-1', userId: null, sessionId: '10' });
  t.match(await request('GET', '/api/v1/analytics/users/u1/events?cursor=bm9wZQ'), { status: 400 });
  const forged = Buffer.from(`9999999999999999999:${'00'.repeat(16)}`).toString('base64url');
  t.match(await request('GET', `/api/v1/analytics/users/u1/events?cursor=${forged}`), { status: 400 }, 'a cursor beyond int64');
  t.match(await request('GET', '/api/v1/analytics/users/u1/events?limit=0'), { status: 400 });
  t.strictSame(await request('GET', '/api/v1/analytics/users/nobody/events'), { status: 200, body: { events: [], nextCursor: null } });
});

t.test('GET /analytics/sessions/{id}: an anonymous visit and its events', async (t) => {
  const { status, body } = await request('GET', '/api/v1/analytics/sessions/-30');
  t.equal(status, 200);
  t.match(body, {
    session: { sessionId: '-30', userId: null, anonymousId: null, source: 'Bing', channel: 'Organic Search', durationMs: 20_000, bounce: false, pageviews: 1 },
    truncated: false,
  });
  t.strictSame(
    (body as { events: Array<{ name: string; engagementMs: number | null }> }).events.map((e) => [e.name, e.engagementMs]),
    [
      ['pageview', null],
      ['engagement', 20_000],
    ],
  );
  t.match(await request('GET', '/api/v1/analytics/sessions/31'), { status: 404 });
  t.match(await request('GET', '/api/v1/analytics/sessions/abc'), { status: 400 });
  t.match(await request('GET', '/api/v1/analytics/sessions/99999999999999999999'), { status: 400 });
  t.match(await request('GET', '/api/v1/analytics/sessions/9999999999999999999'), { status: 404 }, 'beyond int64: not found, not a database error');
});

t.test('other users, other sites and other scopes', async (t) => {
  t.match(await request('GET', '/api/v1/analytics/users/u2'), { status: 200, body: { sessionCount: 1, anonymousIds: [] } });
  t.match(await request('GET', '/api/v1/analytics/users/nobody'), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await request('GET', '/api/v1/analytics/users/u1', readB), { status: 404 });
  t.strictSame(await request('GET', '/api/v1/analytics/users/u1/events', readB), { status: 200, body: { events: [], nextCursor: null } });
  t.match(await request('GET', '/api/v1/analytics/sessions/-30', readB), { status: 404 });
  t.match(await request('GET', '/api/v1/analytics/users/u1', adminA), { status: 403 });
  t.match(await request('GET', '/api/v1/analytics/sessions/-30', adminA), { status: 403 });
  t.match(await request('GET', `/api/v1/analytics/users/${'x'.repeat(1025)}`), { status: 400 });
});

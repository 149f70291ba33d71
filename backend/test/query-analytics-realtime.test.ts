// Covers GET /api/v1/analytics/realtime and realtime(): distinct visitors with
// any event in the last five minutes (custom and engagement events count),
// top pages by visitors from pageviews only, top sources from the visits of
// those events; the read scope; another site's key sees its own numbers and a
// request naming another site is 404; a malformed site is 400.
import t from 'tap';
import { realtime } from '../src/query/analytics/realtime.ts';
import { insertEvents, insertSessions, setUpAnalyticsViewTest } from './helpers/analytics-view-rows.ts';

const { db, apiDb, siteA, siteB, readA, adminA, ingestA, readB, request } = await setUpAnalyticsViewTest(t);

const now = new Date();
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);
await insertEvents(db, siteA, [
  { time: ago(60), visitorId: 1n, sessionId: 1n, pathname: '/a' },
  { time: ago(120), visitorId: 1n, sessionId: 1n, pathname: '/b' },
  { time: ago(200), visitorId: 2n, sessionId: 2n, pathname: '/a' },
  { time: ago(30), visitorId: 3n, sessionId: 3n, name: 'signup', pathname: '/signup' },
  // Six minutes ago: not now.
  { time: ago(360), visitorId: 4n, sessionId: 4n, pathname: '/c' },
  { time: ago(180), visitorId: 5n, sessionId: 5n, name: 'engagement', pathname: '/c', engagementMs: 20_000 },
]);
await insertSessions(db, siteA, [
  { sessionId: 1n, visitorId: 1n, startedAt: ago(600), lastSeenAt: ago(60), source: 'Google' },
  { sessionId: 2n, visitorId: 2n, startedAt: ago(200), lastSeenAt: ago(200), source: '' },
  { sessionId: 3n, visitorId: 3n, startedAt: ago(30), lastSeenAt: ago(30), source: 'Google' },
  { sessionId: 4n, visitorId: 4n, startedAt: ago(360), lastSeenAt: ago(360), source: 'Bing' },
  { sessionId: 5n, visitorId: 5n, startedAt: ago(900), lastSeenAt: ago(180), source: 'Bing' },
]);
await insertEvents(db, siteB, [{ time: ago(60), visitorId: 1n, sessionId: 1n, pathname: '/b-only' }]);
await insertSessions(db, siteB, [{ sessionId: 1n, visitorId: 1n, startedAt: ago(60), lastSeenAt: ago(60), source: 'DuckDuckGo' }]);

// Visitors 1, 2, 3 and 5 (4 is six minutes ago); pages from pageviews; sources from the visits: Google (1, 3), direct (2), Bing (5).
const expected = {
  visitors: 4,
  pages: [
    { name: '/a', visitors: 2 },
    { name: '/b', visitors: 1 },
  ],
  sources: [
    { name: 'Google', visitors: 2 },
    { name: '', visitors: 1 },
    { name: 'Bing', visitors: 1 },
  ],
};

t.test('realtime() counts the last five minutes', async (t) => {
  t.strictSame(await realtime(apiDb, siteA, now), expected);
  // Four minutes later the window is (now − 60 s, now + 240 s]: 1's last event lies on its open edge; only 3 remains.
  const later = new Date(now.getTime() + 240_000);
  t.strictSame(await realtime(apiDb, siteA, later), { visitors: 1, pages: [], sources: [{ name: 'Google', visitors: 1 }] });
});

t.test('GET /analytics/realtime', async (t) => {
  t.strictSame(await request('GET', '/api/v1/analytics/realtime', readA), { status: 200, body: expected });
  t.strictSame(await request('GET', `/api/v1/analytics/realtime?site=${siteA}`, readA), { status: 200, body: expected });
  t.strictSame(await request('GET', '/api/v1/analytics/realtime', readB), {
    status: 200,
    body: { visitors: 1, pages: [{ name: '/b-only', visitors: 1 }], sources: [{ name: 'DuckDuckGo', visitors: 1 }] },
  });
  t.match(await request('GET', `/api/v1/analytics/realtime?site=${siteB}`, readA), { status: 404, body: { error: { code: 'NOT_FOUND' } } });
  t.match(await request('GET', '/api/v1/analytics/realtime?site=abc', readA), { status: 400 });
  t.match(await request('GET', '/api/v1/analytics/realtime?when=now', readA), { status: 400 });
  t.match(await request('GET', '/api/v1/analytics/realtime', adminA), { status: 403 }, 'admin does not imply read');
  t.match(await request('GET', '/api/v1/analytics/realtime', ingestA), { status: 403 });
  t.match(await request('GET', '/api/v1/analytics/realtime', 'ja_sk_unknown'), { status: 401 });
});

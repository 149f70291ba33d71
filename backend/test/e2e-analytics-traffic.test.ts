// The analytics feature end to end, through the real server (`startServer`):
// browser events on both ports' /api/track from four visitors (different
// browsers, referrers, UTM, countries by the shipped DB-IP database, an SPA
// navigation, engagement, a visit 35 minutes after the last one) and one of
// each drop reason, a foreign origin and a malformed body; server events over
// HTTP and gRPC with identify on a second site, its session across midnight.
// Every number of the query API, funnels, goals, realtime, journeys and drop
// counts is computed by hand below, and checked both before the rollup job ran
// (quarters computed live) and after it. Then: tenant isolation, and no client
// address in the whole database (pg_dump when its version matches, else a
// column scan) nor in the server's log, which holds no API key either.
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import { IngestEventsRequest, IngestEventsResponse } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { rollupAnalyticsNow } from '../src/jobs/analytics-rollups.ts';
import { createApiKey, revokeApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { capturingLogger, postTrack, track, until, userAgents, type TrackClient } from './helpers/analytics-traffic.ts';
import { findIpsInDatabase } from './helpers/ip-scan.ts';
import { queryOnce } from './helpers/test-database.ts';
import { startTestServer } from './helpers/test-server.ts';

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;
const DAY = 1440 * MINUTE;

const { logger, lines } = capturingLogger();
const { server, db, databaseUrl: url, siteId: siteA, readKey: readA, ingestKey: ingestA, otlpHttpUrl, apiUrl } = await startTestServer(
  t,
  {
    // Each request's visitor address is then its X-Forwarded-For.
    trustedProxies: ['127.0.0.1'],
    // The job runs once at start (no events yet) and then only when the test runs it: the first answers must be live.
    analyticsRollupIntervalSeconds: 86_400,
  },
  logger,
);

const adminA = (await createApiKey(db, { siteId: siteA, scopes: ['admin'] })).key;
const siteB = (await createSite(db, { name: 'b' })).id;
const ingestB = (await createApiKey(db, { siteId: siteB, scopes: ['ingest'] })).key;
const readB = (await createApiKey(db, { siteId: siteB, scopes: ['read'] })).key;
const allKeys = [ingestA, readA, adminA, ingestB, readB];

async function request(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

// Keys made on another connection reach the server through LISTEN/NOTIFY, within a second.
for (const key of [adminA, ingestB, readB]) {
  await until('the server knows the key', async () => (await request('GET', '/services', key)).status !== 401);
}

// Site A: example.com, UTC, a German hosting range and China excluded.
// (No assertion before the first t.test: tap would take the root test as finished at the next await.)
const patched = await request('PATCH', `/sites/${siteA}`, adminA, { domains: ['example.com'], timezone: 'UTC', excludedIps: ['5.9.0.0/16'], excludedCountries: ['CN'] });
// The receivers' site directory learns of it by NOTIFY. Until then a foreign origin is allowed (no domains yet), so
// the probe is a bot, dropped either way: the bot drops it caused are counted here and added to the expected count.
let probeBotDrops = 0;
await until('the site directory has the new settings', async () => {
  const answer = await track(otlpHttpUrl, siteA, { url: 'https://evil.example/' }, { ip: '8.8.4.4', userAgent: userAgents.googlebot, origin: 'https://evil.example' });
  if (answer.dropped === 'bot') probeBotDrops++;
  return answer.status === 403;
});

const now = Date.now();
const ago = (minutes: number): number => now - minutes * MINUTE;

// The visitors of site A (addresses chosen for their country in the shipped DB-IP country database).
const V1: TrackClient = { ip: '8.8.8.8', userAgent: userAgents.chromeWindows }; // US
const V2: TrackClient = { ip: '1.1.1.1', userAgent: userAgents.safariIphone }; // AU
const V3: TrackClient = { ip: '81.2.69.142', userAgent: userAgents.firefoxLinux }; // GB
const V5: TrackClient = { ip: '2001:4860:4860::8888', userAgent: userAgents.edgeWindows }; // CA
const desktop = { w: 1920, h: 1080 };
const iphone = { w: 390, h: 844 };
const page = (path: string): string => `https://example.com${path}`;

// Where the dropped events come from; every address the test sends is searched for at the end.
const OTHER_IP = '9.9.9.9';
const EXCLUDED_IP = '5.9.0.1';
const CHINA_IP = '114.114.114.114';
const BOT_IP = '66.249.66.1';
const FOREIGN_IP = '8.8.4.4';
const allIps = [V1.ip, V2.ip, V3.ip, V5.ip, OTHER_IP, EXCLUDED_IP, CHINA_IP, BOT_IP, FOREIGN_IP];

const kept: Array<[TrackClient, Parameters<typeof track>[2]]> = [
  // V1, visit A: Google, then an SPA navigation to /pricing (same-site referrer: not a source), a signup.
  [V1, { url: page('/'), referrer: 'https://www.google.com/', screen: desktop, ts: ago(55) }],
  [V1, { url: page('/pricing'), referrer: 'https://example.com/', screen: desktop, ts: ago(54) }],
  [V1, { name: 'signup', url: page('/pricing'), screen: desktop, props: { plan: 'pro' }, ts: ago(53) }],
  // V2: a newsletter link; 3 s on the page is no engagement, so a bounce.
  [V2, { url: page('/blog?utm_source=newsletter&utm_medium=email&utm_campaign=launch'), screen: iphone, ts: ago(50) }],
  [V2, { name: 'engagement', url: page('/blog'), screen: iphone, engagement: { ms: 3000, scroll: 20 }, ts: ago(49) }],
  // V3: Hacker News, three pages, no signup.
  [V3, { url: page('/'), referrer: 'https://news.ycombinator.com/item?id=1', screen: desktop, ts: ago(40) }],
  [V3, { url: page('/pricing'), referrer: 'https://example.com/', screen: desktop, ts: ago(38) }],
  [V3, { url: page('/signup'), referrer: 'https://example.com/pricing', screen: desktop, ts: ago(35) }],
  // V1, visit B, 33 minutes after visit A's last event: direct, one page, 15 s engaged (not a bounce).
  [V1, { url: page('/docs'), screen: desktop, ts: ago(20) }],
  [V1, { name: 'engagement', url: page('/docs'), screen: desktop, engagement: { ms: 15_000, scroll: 80 }, ts: ago(19) }],
  // V5: now (no ts), over IPv6.
  [V5, { url: page('/about'), screen: desktop }],
];

const dropped: Array<[string, TrackClient, Parameters<typeof track>[2]]> = [
  ['bot', { ip: BOT_IP, userAgent: userAgents.googlebot }, { url: page('/') }],
  ['dnt', { ip: OTHER_IP, userAgent: userAgents.chromeWindows, headers: { dnt: '1' } }, { url: page('/') }],
  ['gpc', { ip: OTHER_IP, userAgent: userAgents.chromeWindows, headers: { 'sec-gpc': '1' } }, { url: page('/') }],
  ['prefetch', { ip: OTHER_IP, userAgent: userAgents.chromeWindows, headers: { 'sec-purpose': 'prefetch' } }, { url: page('/') }],
  ['excluded_ip', { ip: EXCLUDED_IP, userAgent: userAgents.chromeWindows }, { url: page('/') }],
  ['excluded_country', { ip: CHINA_IP, userAgent: userAgents.chromeWindows }, { url: page('/') }],
  ['referrer_spam', { ip: OTHER_IP, userAgent: userAgents.chromeWindows }, { url: page('/'), referrer: 'https://semalt.com/' }],
];

t.test('site A: browser events through both ports, kept and dropped', async (t) => {
  t.match(patched, { status: 200, body: { domains: ['example.com'], excludedIps: ['5.9.0.0/16'], excludedCountries: ['CN'] } }, 'site A configured');
  for (const [index, [client, event]] of kept.entries()) {
    // Every other event through the API port: both serve /api/track.
    const answer = await track(index % 2 === 0 ? otlpHttpUrl : apiUrl, siteA, event, client);
    t.strictSame(answer, { status: 202, dropped: null, body: '' }, `${event.name ?? 'pageview'} ${event.url}`);
  }
  for (const [index, [reason, client, event]] of dropped.entries()) {
    const answer = await track(index % 2 === 0 ? apiUrl : otlpHttpUrl, siteA, event, client);
    t.strictSame(answer, { status: 202, dropped: reason, body: '' }, reason);
  }
  const foreign = await track(otlpHttpUrl, siteA, { url: 'https://evil.example/' }, { ip: FOREIGN_IP, userAgent: userAgents.chromeWindows, origin: 'https://evil.example' });
  t.equal(foreign.status, 403);
  // The contract wrote forbidden_origin; the receivers spell codes in capitals like every JSON API error here.
  t.match(JSON.parse(foreign.body), { error: { code: 'FORBIDDEN_ORIGIN' } });
  for (const base of [otlpHttpUrl, apiUrl]) {
    const malformed = await postTrack(base, `{"site":"${siteA}","url":`, { ip: FOREIGN_IP, userAgent: userAgents.chromeWindows });
    t.equal(malformed.status, 400, 'a malformed body');
    t.match(JSON.parse(malformed.body), { error: { code: 'INVALID_ARGUMENT' } });
  }
  const [stored] = await queryOnce<{ events: string; sessions: string }>(
    url,
    'SELECT (SELECT count(*) FROM events WHERE site_id = $1) AS events, (SELECT count(*) FROM sessions WHERE site_id = $1) AS sessions',
    [siteA],
  );
  t.strictSame(stored, { events: '11', sessions: '5' }, 'the 11 kept events in 5 visits; nothing dropped or refused is stored');
});

// Site B: a server SDK. One anonymous visit across UTC midnight, identify, then the user's events over HTTP and gRPC.
// The last midnight at least 45 minutes ago: view_cart (5 minutes after it) and purchase (2 minutes ago) are then
// more than a visit's 30 minutes apart whatever the time of day.
const midnight = Math.floor((now - 45 * MINUTE) / DAY) * DAY;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

async function ingest(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${otlpHttpUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ingestB}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

function grpcIngest(events: Array<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const client = new Client(`127.0.0.1:${server.otlpGrpcPort}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${ingestB}`);
  const message = Buffer.from(IngestEventsRequest.encode(IngestEventsRequest.fromObject({ events })).finish());
  const same = (buffer: Buffer): Buffer => buffer;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/justanalytics.analytics.v1.AnalyticsService/IngestEvents', same, same, message, metadata, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(IngestEventsResponse.toObject(IngestEventsResponse.decode(response as Buffer), { defaults: true }));
    });
  });
}

t.test('site B: server events over HTTP and gRPC, identify', async (t) => {
  t.match(
    await ingest('/api/ingest/events', {
      events: [
        { name: 'checkout', anonymousId: 'anon-1', ts: midnight - 10 * MINUTE, props: { total: 42 } },
        { name: 'view_cart', anonymousId: 'anon-1', ts: midnight + 5 * MINUTE },
      ],
    }),
    { status: 200, body: { accepted: 2, rejected: 0 } },
  );
  t.match(await ingest('/api/ingest/identify', { anonymousId: 'anon-1', userId: 'u1', traits: { plan: 'pro' } }), { status: 200 });
  t.match(await ingest('/api/ingest/events', { events: [{ name: 'purchase', userId: 'u1', ts: now - 2 * MINUTE }] }), {
    status: 200,
    body: { accepted: 1, rejected: 0 },
  });
  t.match(await grpcIngest([{ name: 'renewal', userId: 'u1', timeUnixNano: String(BigInt(now - MINUTE) * 1_000_000n) }]), { accepted: 1, rejected: 0 });
});

// The range: two hours back to a minute ahead, widened to quarter hours so the rollups can answer it; the same
// range unaligned is answered from raw rows. No event lies in the difference, so both give the same numbers.
const alignedRange = [new Date(Math.floor((now - 120 * MINUTE) / QUARTER) * QUARTER).toISOString(), new Date(Math.ceil((now + MINUTE) / QUARTER) * QUARTER).toISOString()];
const rawRange = [new Date(now - 120 * MINUTE).toISOString(), new Date(now + MINUTE).toISOString()];

interface QueryAnswer {
  results: Array<{ dimensions: string[]; metrics: number[]; comparison?: { metrics: number[]; change: Array<number | null> } }>;
  meta: { source: string };
}

async function query(body: Record<string, unknown>, key = readA): Promise<QueryAnswer> {
  const answer = await request('POST', '/analytics/query', key, body);
  if (answer.status !== 200) throw new Error(`query ${JSON.stringify(body)}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as QueryAnswer;
}

const totals = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit', 'events'];
const breakdown = (dimension: string, metrics: string[], first: string): Record<string, unknown> => ({
  metrics,
  dimensions: [dimension],
  order_by: [[first, 'desc'], [dimension, 'asc']],
});

async function checkAnswers(t: Test, phase: string): Promise<void> {
  for (const [range, source] of [[alignedRange, 'rollups'], [rawRange, 'raw']] as const) {
    const ask = (body: Record<string, unknown>): Promise<QueryAnswer> => query({ site: siteA, date_range: range, ...body });
    t.test(`${phase}: the query API from ${source}`, async (t) => {
      const total = await ask({ metrics: totals });
      t.equal(total.meta.source, source, 'answered from the path the range allows');
      // visitors: V1, V2, V3, V5. visits: V1 twice, V2, V3, V5. pageviews: 3 + 1 + 3 + 1.
      // bounce_rate: V2 (one page, 3 s) and V5 (one page) of 5 visits = 40 %.
      // visit_duration: V1-A 2 min, V1-B 1 min (to its engagement), V2 1 min, V3 5 min, V5 0: 540 s / 5 = 108 s.
      // views_per_visit 8 / 5; events: 8 pageviews + 1 signup (engagement events are not counted).
      t.strictSame(total.results, [{ dimensions: [], metrics: [4, 5, 8, 40, 108, 1.6, 9] }], 'totals');

      const sources = await ask(breakdown('visit:source', ['visits', 'visitors'], 'visits'));
      t.strictSame(sources.results, [
        { dimensions: ['Direct / None'], metrics: [2, 2] }, // V1-B, V5
        { dimensions: ['Google'], metrics: [1, 1] },
        { dimensions: ['Hacker News'], metrics: [1, 1] },
        { dimensions: ['newsletter'], metrics: [1, 1] }, // utm_source as sent: no known source of that name
      ], 'sources');
      const channels = await ask(breakdown('visit:channel', ['visits', 'visitors'], 'visits'));
      t.strictSame(channels.results, [
        { dimensions: ['Direct'], metrics: [2, 2] },
        { dimensions: ['Email'], metrics: [1, 1] },
        { dimensions: ['Organic Search'], metrics: [1, 1] },
        { dimensions: ['Organic Social'], metrics: [1, 1] }, // Hacker News is a social site
      ], 'channels');
      const countries = await ask(breakdown('visit:country', ['visits', 'visitors'], 'visits'));
      t.strictSame(countries.results, [
        { dimensions: ['US'], metrics: [2, 1] },
        { dimensions: ['AU'], metrics: [1, 1] },
        { dimensions: ['CA'], metrics: [1, 1] },
        { dimensions: ['GB'], metrics: [1, 1] },
      ], 'countries');
      const browsers = await ask(breakdown('visit:browser', ['visits', 'visitors'], 'visits'));
      t.strictSame(browsers.results, [
        { dimensions: ['Chrome'], metrics: [2, 1] },
        { dimensions: ['Edge'], metrics: [1, 1] },
        { dimensions: ['Firefox'], metrics: [1, 1] },
        { dimensions: ['Safari'], metrics: [1, 1] }, // ua-parser's "Mobile Safari", named as Plausible names it
      ], 'browsers');
      const devices = await ask(breakdown('visit:device', ['visits', 'visitors', 'bounce_rate'], 'visits'));
      t.strictSame(devices.results, [
        { dimensions: ['desktop'], metrics: [4, 3, 25] }, // V5 bounced of V1-A, V1-B, V3, V5
        { dimensions: ['mobile'], metrics: [1, 1, 100] },
      ], 'devices');
      const pages = await ask(breakdown('event:page', ['pageviews', 'visitors'], 'pageviews'));
      t.strictSame(pages.results, [
        { dimensions: ['/'], metrics: [2, 2] },
        { dimensions: ['/pricing'], metrics: [2, 2] },
        { dimensions: ['/about'], metrics: [1, 1] },
        { dimensions: ['/blog'], metrics: [1, 1] }, // the UTM parameters are not kept in the path
        { dimensions: ['/docs'], metrics: [1, 1] },
        { dimensions: ['/signup'], metrics: [1, 1] },
      ], 'pages');
      const names = await ask(breakdown('event:name', ['events', 'visitors'], 'events'));
      t.strictSame(names.results, [
        { dimensions: ['pageview'], metrics: [8, 4] },
        { dimensions: ['signup'], metrics: [1, 1] },
      ], 'event names (engagement is not one)');
      const props = await ask(breakdown('event:props:plan', ['events', 'visitors'], 'events'));
      t.strictSame(props.results, [{ dimensions: ['pro'], metrics: [1, 1] }], 'custom event props');

      const goal = await ask({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] });
      t.strictSame(goal.results, [{ dimensions: ['Signup'], metrics: [1, 1, 25] }], 'the goal: one of four visitors');

      const hours = await ask({ metrics: ['visits', 'pageviews', 'events'], dimensions: ['time:hour'] });
      const sums = [0, 1, 2].map((i) => hours.results.reduce((sum, row) => sum + (row.metrics[i] ?? 0), 0));
      t.strictSame(sums, [5, 8, 9], 'the hours add up to the totals');

      const compared = await ask({ metrics: ['visitors', 'visits', 'pageviews'], compare: 'previous_period' });
      t.match(compared.results, [{ metrics: [4, 5, 8], comparison: { metrics: [0, 0, 0], change: [null, null, null] } }], 'nothing the period before');
    });
  }

  t.test(`${phase}: a visit filter with an event dimension`, async (t) => {
    const us = await query({ site: siteA, date_range: alignedRange, ...breakdown('event:page', ['pageviews', 'visitors'], 'pageviews'), filters: [['is', 'visit:country', ['US']]] });
    t.strictSame(us.results, [
      { dimensions: ['/'], metrics: [1, 1] },
      { dimensions: ['/docs'], metrics: [1, 1] },
      { dimensions: ['/pricing'], metrics: [1, 1] },
    ], "V1's pages");
  });

  t.test(`${phase}: funnel, goal, realtime`, async (t) => {
    const funnel = await request('POST', '/analytics/funnels', readA, {
      date_range: alignedRange,
      steps: [{ page: '/' }, { page: '/pricing' }, { event: 'signup' }],
    });
    // V1 and V3 saw / and then /pricing; only V1 signed up.
    t.match(funnel, { status: 200, body: { steps: [{ visitors: 2 }, { visitors: 2, dropoff: 0 }, { visitors: 1, dropoff: 1, conversion_rate: 50 }] } });
    const conversions = await request('GET', `/analytics/goals/conversions?date_range=${alignedRange.join(',')}`, readA);
    t.match(conversions, { status: 200, body: { visitors: 4, goals: [{ name: 'Signup', visitors: 1, events: 1, conversion_rate: 25 }] } }, 'one of four visitors signed up');
    // Events of the last five minutes: V5's page view only.
    t.strictSame(await request('GET', '/analytics/realtime', readA), {
      status: 200,
      body: { visitors: 1, pages: [{ name: '/about', visitors: 1 }], sources: [{ name: '', visitors: 1 }] },
    });
  });

  t.test(`${phase}: site B's visit across midnight and the user's journey`, async (t) => {
    const perDay = async (range: string[]): Promise<number[] | undefined> =>
      (await query({ date_range: range, metrics: ['visits', 'events'] }, readB)).results[0]?.metrics;
    // The anonymous visit started before midnight and went on after it: one visit, on the day it started.
    t.strictSame(await perDay([day(midnight - DAY), day(midnight - DAY)]), [1, 1], 'the day before: the visit and its checkout');
    t.strictSame(await perDay([day(midnight), day(now)]), [1, 3], "since midnight: u1's own visit; view_cart, purchase, renewal");
    t.strictSame(await perDay([day(midnight - DAY), day(now)]), [2, 4], 'both days');

    const user = await request('GET', '/analytics/users/u1', readB);
    t.match(user, { status: 200, body: { userId: 'u1', traits: { plan: 'pro' }, anonymousIds: ['anon-1'], sessionCount: 2 } });
    const events = await request('GET', '/analytics/users/u1/events', readB);
    t.equal(events.status, 200);
    const path = (events.body as { events: Array<{ name: string; anonymousId: string | null }> }).events;
    t.strictSame(path.map((event) => event.name), ['checkout', 'view_cart', 'purchase', 'renewal'], 'in order, across the identify');
  });
}

t.test('answers', async (t) => {
  t.match(await request('POST', '/analytics/goals', adminA, { name: 'Signup', event: 'signup' }), { status: 201 });
  const [marks] = await queryOnce<{ count: string }>(url, 'SELECT count(*) FROM analytics_dirty_buckets');
  t.not(marks?.count, '0', 'the rollup job has not run yet: quarters are computed live');
  await checkAnswers(t, 'before the rollups');
  await rollupAnalyticsNow(db);
  const [after] = await queryOnce<{ marks: string; rollups: string }>(
    url,
    'SELECT (SELECT count(*) FROM analytics_dirty_buckets) AS marks, (SELECT count(*) FROM analytics_rollups) AS rollups',
  );
  t.equal(after?.marks, '0', 'every mark handled');
  t.not(after?.rollups, '0', 'rollup rows written');
  await checkAnswers(t, 'after the rollups');
});

t.test('drop counts', async (t) => {
  const expected = new Map<string, number>(dropped.map(([reason]) => [reason, reason === 'bot' ? 1 + probeBotDrops : 1]));
  let counts = new Map<string, number>();
  // Drop counts reach the database every few seconds.
  await until('the drop counts are written', async () => {
    const answer = await request('GET', '/analytics/dropped', readA);
    counts = new Map((answer.body as { dropped: Array<{ reason: string; count: number }> }).dropped.map((row) => [row.reason, row.count]));
    return counts.size === expected.size;
  });
  t.strictSame(Object.fromEntries([...counts].sort()), Object.fromEntries([...expected].sort()));
  t.strictSame(await request('GET', '/analytics/dropped', readB), { status: 200, body: { dropped: [] } }, 'none on site B');
});

t.test('tenant isolation', async (t) => {
  for (const [key, other] of [[readA, siteB], [readB, siteA]] as const) {
    t.match(await request('POST', '/analytics/query', key, { site: other, date_range: alignedRange, metrics: ['visitors'] }), { status: 404 });
    t.match(await request('GET', `/analytics/realtime?site=${other}`, key), { status: 404 });
  }
  t.match(await request('GET', '/analytics/users/u1', readA), { status: 404 }, "site A's key does not see site B's user");
  const b = await query({ date_range: alignedRange, metrics: ['pageviews'] }, readB);
  t.strictSame(b.results, [{ dimensions: [], metrics: [0] }], "site B's key sees none of site A's page views");
});

t.test('a revoked ingest key is refused on /api/ingest/* and AnalyticsService within seconds, and stores nothing', async (t) => {
  const siteC = (await createSite(db, { name: 'c' })).id;
  const created = await createApiKey(db, { siteId: siteC, scopes: ['ingest'] });
  // Every event the receivers accepted (200) is counted: until the revocation arrives, sends are still accepted.
  let accepted = 0;
  const send = async (key: string) => {
    const response = await fetch(`${otlpHttpUrl}/api/ingest/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ name: 'checkout', userId: 'u-c' }] }),
    });
    if (response.status === 200) accepted++;
    return response;
  };
  await until('the new key is live', async () => (await send(created.key)).status === 200);
  await revokeApiKey(db, created.id);
  await until('the revocation reaches the receivers', async () => (await send(created.key)).status === 401);
  const grpcCode = await new Promise<number | undefined>((resolve) => {
    const client = new Client(`127.0.0.1:${server.otlpGrpcPort}`, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${created.key}`);
    const message = Buffer.from(IngestEventsRequest.encode(IngestEventsRequest.fromObject({ events: [{ name: 'checkout', userId: 'u-c' }] })).finish());
    const same = (buffer: Buffer): Buffer => buffer;
    client.makeUnaryRequest('/justanalytics.analytics.v1.AnalyticsService/IngestEvents', same, same, message, metadata, (error) => {
      client.close();
      resolve(error?.code);
    });
  });
  t.equal(grpcCode, status.UNAUTHENTICATED, 'gRPC: UNAUTHENTICATED');
  const [stored] = await queryOnce<{ n: string }>(url, 'SELECT count(*) AS n FROM events WHERE site_id = $1', [siteC]);
  t.equal(stored?.n, String(accepted), 'only the events accepted while the key was live');
});

t.test('the address scan finds an address where one is', async (t) => {
  await queryOnce(url, 'CREATE TABLE scratch_ip_probe (note text, raw bytea)');
  t.teardown(() => queryOnce(url, 'DROP TABLE IF EXISTS scratch_ip_probe'));
  await queryOnce(url, "INSERT INTO scratch_ip_probe VALUES ('seen from 8.8.8.8', NULL), (NULL, '\\x01010101'::bytea)");
  const { findings } = await findIpsInDatabase(url, ['8.8.8.8', '1.1.1.1']);
  t.ok(findings.some((finding) => finding.ip === '8.8.8.8'), 'the text form');
  t.ok(findings.some((finding) => finding.ip === '1.1.1.1'), 'the raw bytes');
  await queryOnce(url, 'DROP TABLE scratch_ip_probe');
});

t.test('no client address in the database or the log, no key in the log', async (t) => {
  const { method, findings } = await findIpsInDatabase(url, allIps);
  t.comment(`searched by ${method}`);
  t.strictSame(findings, []);
  t.ok(lines.length > 0, 'the server logged');
  t.ok(lines.some((line) => line.includes('event dropped')), 'at debug');
  for (const secret of [...allIps, ...allKeys]) {
    t.notOk(lines.some((line) => line.includes(secret)), `the log holds no ${secret.startsWith('ja_') ? 'key' : secret}`);
  }
});

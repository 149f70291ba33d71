// Covers the analytics routes on the OTLP/HTTP server (analytics-http.ts):
// POST /api/track (JSON and text/plain beacons, the origin check with and
// without an Origin header, unknown sites, every drop reason with its header
// and count, CORS preflight and headers, 202 only after the sink's commit,
// 429/503 with Retry-After), POST /api/ingest/events and /identify (keys
// checked before the body is read, events refused one by one, gzip), the
// JSON error format beside OTLP's google.rpc.Status, and logs without
// addresses, keys or bodies.
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { InjectOptions } from 'fastify';
import pino from 'pino';
import t from 'tap';
import { FailedAuthLimiter } from '../src/auth/failed-auth-limiter.ts';
import { StaticKeyResolver } from '../src/auth/static-key-resolver.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../src/sink/sink.ts';
import { analyticsHttpPlugin } from '../src/receivers/analytics-http.ts';
import type { EventRow } from '../src/signals/events/event-row.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, keys, READ_ONLY_KEY, SITE_ID } from './helpers/fixtures.ts';
import {
  buildAnalyticsApp,
  CHROME_UA,
  EXCLUDING_SITE,
  FixedSalts,
  geo,
  MemorySiteDirectory,
  OPEN_SITE,
  RecordingDrops,
  TRACK_SITE,
} from './helpers/analytics-fixtures.ts';
import { GatedSink, PeakBudget } from './helpers/test-doubles.ts';

const PAGE = 'https://example.com/pricing?utm_source=newsletter&plan=pro';

function trackRequest(body: Record<string, unknown>, headers: Record<string, string> = {}, remoteAddress = '192.0.2.1') {
  return {
    method: 'POST' as const,
    url: '/api/track',
    remoteAddress,
    headers: { 'content-type': 'application/json', origin: 'https://example.com', 'user-agent': CHROME_UA, ...headers },
    payload: JSON.stringify({ site: TRACK_SITE, url: PAGE, screen: { w: 1920, h: 1080 }, ...body }),
  };
}

function ingestRequest(url: string, body: unknown, key: string | null = INGEST_KEY, headers: Record<string, string> = {}) {
  return {
    method: 'POST' as const,
    url,
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    payload: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  };
}

function errorOf(response: { json(): unknown }): { code: string; message: string } {
  return (response.json() as { error: { code: string; message: string } }).error;
}

function serialized(row: EventRow): string {
  return JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

t.test('a page view is enriched, committed and answered 202 with an empty body', async (t) => {
  const { app, sink, drops } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const response = await app.inject(trackRequest({ title: 'Pricing', props: { plan: 'pro' } }));
  t.equal(response.statusCode, 202);
  t.equal(response.body, '');
  t.equal(response.headers['access-control-allow-origin'], 'https://example.com');
  t.match(response.headers['access-control-expose-headers'], /X-JustAnalytics-Dropped/);
  t.match(response.headers.vary, /Origin/);
  t.notOk(response.headers['x-justanalytics-dropped']);
  t.equal(drops.counted.length, 0);
  t.equal(sink.batches.length, 1);
  t.equal(sink.batches[0]?.siteId, TRACK_SITE);
  const [row] = sink.rows('events');
  t.match(row, {
    name: 'pageview',
    hostname: 'example.com',
    pathname: '/pricing',
    query: 'plan=pro',
    utmSource: 'newsletter',
    title: 'Pricing',
    country: 'DE',
    city: 'Berlin',
    browser: 'Chrome',
    device: 'desktop',
    screenWidth: 1920,
    origin: 'browser',
    props: { plan: 'pro' },
  });
  t.equal(typeof row?.visitorId, 'bigint');
  t.notOk(serialized(row as EventRow).includes('192.0.2.1'), 'the client address is not in the row');
});

t.test('the response waits for the commit', async (t) => {
  const sink = new GatedSink();
  const { app } = await buildAnalyticsApp({ sink });
  t.teardown(() => app.close());
  let answered = false;
  const pending = app.inject(trackRequest({})).then((response) => {
    answered = true;
    return response;
  });
  await sink.waitFor(1);
  t.equal(answered, false, 'not answered while the write waits');
  sink.open();
  t.equal((await pending).statusCode, 202);
  t.equal(sink.written.length, 1);
});

t.test('sendBeacon: text/plain bodies, a subdomain origin, the same visitor for the same browser', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const beacon = trackRequest({ url: 'https://www.example.com/' }, { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://www.example.com' });
  t.equal((await app.inject(beacon)).statusCode, 202);
  t.equal((await app.inject(beacon)).statusCode, 202);
  const rows = sink.rows('events');
  t.equal(rows.length, 2);
  t.equal(rows[0]?.visitorId, rows[1]?.visitorId, 'same salt, site, address, agent and screen: same visitor');
  t.not(rows[0]?.eventId.toString('hex'), rows[1]?.eventId.toString('hex'));
});

t.test('origins: a foreign one is 403 FORBIDDEN_ORIGIN; without Origin the page host decides; a site without domains takes any', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const foreign = await app.inject(trackRequest({}, { origin: 'https://evil.example' }));
  t.equal(foreign.statusCode, 403);
  t.strictSame(errorOf(foreign), { code: 'FORBIDDEN_ORIGIN', message: 'this site does not accept events from this origin' });
  t.notOk(foreign.headers['access-control-allow-origin'], 'a foreign page cannot read the answer');
  const lookalike = await app.inject(trackRequest({}, { origin: 'https://notexample.com' }));
  t.equal(lookalike.statusCode, 403, 'a suffix is not a subdomain');

  const noOrigin = trackRequest({ url: 'https://blog.example.com/post' });
  delete (noOrigin.headers as Record<string, string>).origin;
  const allowed = await app.inject(noOrigin);
  t.equal(allowed.statusCode, 202);
  t.notOk(allowed.headers['access-control-allow-origin']);
  const foreignPage = trackRequest({ url: 'https://evil.example/' });
  delete (foreignPage.headers as Record<string, string>).origin;
  t.equal((await app.inject(foreignPage)).statusCode, 403);

  t.equal((await app.inject(trackRequest({ site: OPEN_SITE }, { origin: 'https://anything.example' }))).statusCode, 202);
  t.equal(sink.rows('events').length, 2);
});

t.test('an unknown site is 404; site settings out of reach are 503 with Retry-After', async (t) => {
  const { app, sites, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const unknown = await app.inject(trackRequest({ site: '999' }));
  t.equal(unknown.statusCode, 404);
  t.strictSame(errorOf(unknown), { code: 'NOT_FOUND', message: 'no site with ID 999' });
  sites.failing = true;
  const down = await app.inject(trackRequest({}));
  t.equal(down.statusCode, 503);
  t.equal(down.headers['retry-after'], '1');
  t.equal(errorOf(down).code, 'UNAVAILABLE');
  t.equal(sink.batches.length, 0);
});

t.test('every drop reason: 202, the reason in a header, counted, nothing written', async (t) => {
  const { app, sink, drops } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const cases: [string, ReturnType<typeof trackRequest>][] = [
    ['prefetch', trackRequest({}, { 'sec-purpose': 'prefetch' })],
    ['bot', trackRequest({}, { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' })],
    ['dnt', trackRequest({}, { dnt: '1' })],
    ['gpc', trackRequest({}, { 'sec-gpc': '1' })],
    ['excluded_ip', trackRequest({ site: EXCLUDING_SITE, url: 'https://example.org/' }, { origin: 'https://example.org' }, '203.0.113.9')],
    ['excluded_country', trackRequest({ site: EXCLUDING_SITE, url: 'https://example.org/' }, { origin: 'https://example.org' }, '198.51.100.7')],
    ['referrer_spam', trackRequest({ referrer: 'https://semalt.com/crawler' })],
  ];
  for (const [reason, request] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, 202, reason);
    t.equal(response.headers['x-justanalytics-dropped'], reason, `${reason} header`);
    t.equal(response.body, '');
  }
  t.strictSame(
    drops.counted,
    cases.map(([reason, request]) => [JSON.parse(request.payload).site as string, reason]),
  );
  t.equal(sink.batches.length, 0);
});

t.test('CORS: preflights for any origin; allow-origin on a POST only for the site’s origins', async (t) => {
  const { app } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  for (const origin of ['https://example.com', 'https://unknown-to-us.example']) {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/track',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    t.equal(preflight.statusCode, 204);
    t.equal(preflight.headers['access-control-allow-origin'], origin);
    t.equal(preflight.headers['access-control-allow-methods'], 'POST');
    t.equal(preflight.headers['access-control-allow-headers'], 'Content-Type');
    t.equal(preflight.headers['access-control-max-age'], '86400');
    t.notOk(preflight.headers['access-control-allow-credentials'], 'no cookies, ever');
  }
  const ingestPreflight = await app.inject({ method: 'OPTIONS', url: '/api/ingest/events', headers: { origin: 'https://example.com' } });
  t.equal(ingestPreflight.statusCode, 405, 'server SDK routes are not for browsers');
});

t.test('malformed track requests: 400/413/415/405 with a message, nothing written, the process fine', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const cases: [string, InjectOptions, number, string, RegExp][] = [
    ['bad JSON', { ...trackRequest({}), payload: '{"site":' }, 400, 'INVALID_ARGUMENT', /not valid JSON/],
    ['an empty body', { ...trackRequest({}), payload: '' }, 400, 'INVALID_ARGUMENT', /not valid JSON/],
    ['a javascript: url', trackRequest({ url: 'javascript:alert(1)' }), 400, 'INVALID_ARGUMENT', /url must be an http or https URL/],
    ['a long name', trackRequest({ name: 'n'.repeat(121) }), 400, 'INVALID_ARGUMENT', /name is longer than 120/],
    ['an object prop', trackRequest({ props: { a: { b: 1 } } }), 400, 'INVALID_ARGUMENT', /props\.a must be a string, number or boolean/],
    ['51 props', trackRequest({ props: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, i])) }), 400, 'INVALID_ARGUMENT', /more than the limit of 50/],
    ['5000 props', trackRequest({ props: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`p${i}`, i])) }), 400, 'INVALID_ARGUMENT', /more than 164 values/],
    ['deep JSON', { ...trackRequest({}), payload: `{"site":"42","props":{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}}` }, 400, 'INVALID_ARGUMENT', /more than 164 values/],
    ['a body over 64 KiB', trackRequest({ title: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE', /exceeds the limit of 65536 bytes/],
    ['gzip', { ...trackRequest({}), headers: { ...trackRequest({}).headers, 'content-encoding': 'gzip' }, payload: gzipSync(trackRequest({}).payload) }, 400, 'INVALID_ARGUMENT', /Content-Encoding gzip is not accepted/],
    ['XML', { ...trackRequest({}), headers: { ...trackRequest({}).headers, 'content-type': 'application/xml' } }, 415, 'UNSUPPORTED_MEDIA_TYPE', /use application\/json or text\/plain/],
    ['GET', { method: 'GET', url: '/api/track' }, 405, 'METHOD_NOT_ALLOWED', /use POST/],
  ];
  for (const [what, request, status, code, message] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, status, what);
    t.match(response.headers['content-type'], /^application\/json/, `${what}: JSON error`);
    t.equal(errorOf(response).code, code, `${what}: code`);
    t.match(errorOf(response).message, message, `${what}: message`);
  }
  t.equal(sink.batches.length, 0);
  t.equal((await app.inject(trackRequest({}))).statusCode, 202, 'still serving');
});

t.test('a body over the limit streamed without Content-Length is cut off at the limit', async (t) => {
  const budget = new PeakBudget(8 * 1024 * 1024);
  const { app } = await buildAnalyticsApp({ memoryBudget: budget });
  t.teardown(() => app.close());
  const request = trackRequest({ title: 'x'.repeat(1024 * 1024) });
  const response = await app.inject({ ...request, headers: { ...request.headers, 'transfer-encoding': 'chunked' } });
  t.equal(response.statusCode, 413);
  t.ok(budget.peak <= 64 * 1024 + 16 * 1024, `at most the limit and a chunk held (${budget.peak})`);
  t.equal(budget.reserved, 0, 'everything given back');
});

t.test('overload and storage failures: 429 and 503 with Retry-After, readable by the page', async (t) => {
  for (const [error, status, code, retryAfter] of [
    [new SinkOverloadedError('queue full', 7), 429, 'RESOURCE_EXHAUSTED', '7'],
    [new SinkUnavailableError('database down', 3), 503, 'UNAVAILABLE', '3'],
  ] as const) {
    const { app } = await buildAnalyticsApp({ sink: new ErrorSink(error) });
    const track = await app.inject(trackRequest({}));
    t.equal(track.statusCode, status);
    t.equal(track.headers['retry-after'], retryAfter);
    t.equal(errorOf(track).code, code);
    t.equal(track.headers['access-control-allow-origin'], 'https://example.com', 'the page may read Retry-After');
    const ingest = await app.inject(ingestRequest('/api/ingest/events', { events: [{ name: 'signup', userId: 'u1' }] }));
    t.equal(ingest.statusCode, status);
    t.equal(ingest.headers['retry-after'], retryAfter);
    t.equal(errorOf(ingest).code, code);
    await app.close();
  }
});

t.test('a full memory budget is 429 before the body is parsed', async (t) => {
  const budget = new PeakBudget(1024 * 1024);
  t.ok(budget.tryReserve(1024 * 1024 - 100));
  const { app, sink } = await buildAnalyticsApp({ memoryBudget: budget });
  t.teardown(() => app.close());
  const response = await app.inject(trackRequest({}));
  t.equal(response.statusCode, 429);
  t.equal(response.headers['retry-after'], '1');
  t.equal(sink.batches.length, 0);
});

t.test('ingest events: accepted and rejected counted, the key’s site, after commit', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const response = await app.inject(
    ingestRequest('/api/ingest/events', {
      events: [
        { name: 'signup', userId: 'u1', props: { plan: 'pro' }, url: 'https://example.com/welcome?utm_campaign=launch', ts: 1_764_460_800_000 },
        { name: 'no-id' },
        { name: 'checkout', anonymousId: 'anon-1' },
      ],
    }),
  );
  t.equal(response.statusCode, 200);
  t.strictSame(response.json(), { accepted: 2, rejected: 1, errors: [{ index: 1, message: 'an event needs a userId or an anonymousId' }] });
  t.equal(sink.batches[0]?.siteId, SITE_ID, 'the site is the key’s');
  const rows = sink.rows('events');
  t.match(rows, [
    { name: 'signup', userId: 'u1', anonymousId: null, origin: 'server', pathname: '/welcome', utmCampaign: 'launch', timeUnixNano: 1_764_460_800_000_000_000n },
    { name: 'checkout', userId: null, anonymousId: 'anon-1' },
  ]);
  const none = await app.inject(ingestRequest('/api/ingest/events', { events: [] }));
  t.strictSame(none.json(), { accepted: 0, rejected: 0 });
  t.equal(sink.batches.length, 1, 'nothing to write, no write');
});

t.test('ingest identify: one identity, or a list with bad items refused alone', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const one = await app.inject(ingestRequest('/api/ingest/identify', { anonymousId: 'anon-1', userId: 'u1', traits: { plan: 'pro' } }));
  t.equal(one.statusCode, 200);
  t.strictSame(one.json(), { accepted: 1, rejected: 0 });
  const bad = await app.inject(ingestRequest('/api/ingest/identify', { anonymousId: 'anon-1' }));
  t.equal(bad.statusCode, 400);
  t.match(errorOf(bad), { code: 'INVALID_ARGUMENT', message: 'an identity needs both anonymousId and userId' });
  const list = await app.inject(ingestRequest('/api/ingest/identify', { identities: [{ anonymousId: 'a2', userId: 'u2', ts: 1000 }, { anonymousId: 'a3', userId: 5 }] }));
  t.strictSame(list.json(), { accepted: 1, rejected: 1, errors: [{ index: 1, message: 'userId must be a string' }] });
  t.match(sink.rows('identities'), [
    { anonymousId: 'anon-1', userId: 'u1', traits: { plan: 'pro' } },
    { anonymousId: 'a2', userId: 'u2', timeUnixNano: 1_000_000_000n },
  ]);
});

t.test('ingest keys are checked before the body is read', async (t) => {
  const budget = new PeakBudget(64 * 1024 * 1024);
  const limiter = new FailedAuthLimiter({ failuresPerSecond: 0.001, burst: 4 });
  const limitedKeys = new StaticKeyResolver(
    [
      [INGEST_KEY, { keyId: 'k1', siteId: SITE_ID, scopes: ['ingest'] }],
      [READ_ONLY_KEY, { keyId: 'k2', siteId: SITE_ID, scopes: ['read'] }],
    ],
    { failedAuthentications: limiter },
  );
  const { app, sink } = await buildAnalyticsApp({ memoryBudget: budget, keys: limitedKeys });
  t.teardown(() => app.close());
  // Not JSON at all, and large: a 400 or a reservation would show the body was read.
  const body = Buffer.alloc(512 * 1024, 'x');
  const cases: [string, string | null, number, string][] = [
    ['no key', null, 401, 'UNAUTHENTICATED'],
    ['a read-only key', READ_ONLY_KEY, 403, 'PERMISSION_DENIED'],
    ['an unknown key', 'ja_sk_nope', 401, 'UNAUTHENTICATED'],
  ];
  for (const [what, key, status, code] of cases) {
    for (const path of ['/api/ingest/events', '/api/ingest/identify']) {
      const response = await app.inject(ingestRequest(path, body, key));
      t.equal(response.statusCode, status, `${what} on ${path}`);
      t.equal(errorOf(response).code, code);
    }
  }
  t.equal(budget.peak, 0, 'no byte of a refused body was reserved');
  // Four failures (no key, an unknown key, on both routes) spent the burst; a read-only key is no failure.
  const throttled = await app.inject(ingestRequest('/api/ingest/events', body, 'ja_sk_nope'));
  t.equal(throttled.statusCode, 429, 'failed authentications are limited per client, as on OTLP');
  t.ok(Number(throttled.headers['retry-after']) >= 1);
  const good = await app.inject(ingestRequest('/api/ingest/events', { events: [{ name: 'e', userId: 'u' }] }));
  t.equal(good.statusCode, 200, 'a good key is never throttled');
  t.equal(sink.rows('events').length, 1);
});

t.test('ingest limits and compression: gzip accepted, bombs and oversize refused, 501 events refused', async (t) => {
  const budget = new PeakBudget(64 * 1024 * 1024);
  const { app, sink } = await buildAnalyticsApp({ memoryBudget: budget });
  t.teardown(() => app.close());
  const events = { events: [{ name: 'signup', userId: 'u1' }] };
  const gzipped = await app.inject(ingestRequest('/api/ingest/events', gzipSync(JSON.stringify(events)), INGEST_KEY, { 'content-encoding': 'gzip' }));
  t.equal(gzipped.statusCode, 200);
  t.equal(sink.rows('events').length, 1);

  // 64 MiB of spaces (valid JSON whitespace) in 64 KiB of gzip.
  const bomb = gzipSync(Buffer.concat([Buffer.from('{"events":[]'), Buffer.alloc(64 * 1024 * 1024, ' '), Buffer.from('}')]));
  t.ok(bomb.length < 100 * 1024, `the bomb is small (${bomb.length} bytes)`);
  const exploded = await app.inject(ingestRequest('/api/ingest/events', bomb, INGEST_KEY, { 'content-encoding': 'gzip' }));
  t.equal(exploded.statusCode, 413);
  t.match(errorOf(exploded).message, /exceeds the limit of 1048576 bytes/);
  t.ok(budget.peak <= 1024 * 1024 + 64 * 1024, `inflating stopped at the limit (${budget.peak} bytes held at most)`);

  const many = await app.inject(ingestRequest('/api/ingest/events', { events: Array.from({ length: 501 }, () => ({ name: 'e', userId: 'u' })) }));
  t.equal(many.statusCode, 400);
  t.match(errorOf(many).message, /events holds 501 items, more than the limit of 500/);
  const big = await app.inject(ingestRequest('/api/ingest/events', { events: [{ name: 'e', userId: 'u', props: { a: 'x'.repeat(1024 * 1024) } }] }));
  t.equal(big.statusCode, 413);
  const xml = await app.inject(ingestRequest('/api/ingest/events', '<events/>', INGEST_KEY, { 'content-type': 'application/xml' }));
  t.equal(xml.statusCode, 415);
  t.equal(budget.reserved, 0, 'everything given back');
});

t.test('OTLP routes keep google.rpc.Status errors beside the analytics routes', async (t) => {
  const { app } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const otlp = await app.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: '{}' });
  t.equal(otlp.statusCode, 401);
  t.match(otlp.json(), { code: 16, message: /missing API key/ });
  const analytics = await app.inject(ingestRequest('/api/ingest/events', { events: [] }, null));
  t.match(analytics.json(), { error: { code: 'UNAUTHENTICATED', message: /missing API key/ } });
});

t.test('logs carry no address, key or body', async (t) => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const MARKER = 'body-marker-51c2';
  const { app } = await buildAnalyticsApp({ logger: pino({ level: 'trace' }, stream), sink: new ErrorSink(new Error(`failed near ${MARKER}`)) });
  await app.inject(trackRequest({ props: { marker: MARKER } }, { 'x-forwarded-for': '198.51.100.99' }));
  await app.inject(trackRequest({ props: { marker: MARKER } }, { dnt: '1' }));
  await app.inject(trackRequest({ props: { marker: MARKER } }, { origin: 'https://evil.example' }));
  await app.inject(trackRequest({ url: `https://example.com/${MARKER}`, name: 'n'.repeat(200) }));
  await app.inject({ ...ingestRequest('/api/ingest/events', { events: [{ name: MARKER, userId: 'u' }] }), remoteAddress: '192.0.2.1' });
  await app.inject({ ...ingestRequest('/api/ingest/events', { events: [] }, 'ja_sk_wrong_secret'), remoteAddress: '192.0.2.1' });
  await app.close();
  const text = lines.join('');
  t.ok(lines.length >= 6, `${lines.length} lines`);
  for (const secret of ['192.0.2.1', '198.51.100.99', INGEST_KEY, 'ja_sk_wrong_secret', 'semalt', CHROME_UA]) {
    t.notOk(text.includes(secret), `no ${secret}`);
  }
  // The failing sink's own error is logged (with its message) as any internal error is; bodies are not.
  t.strictSame(
    lines.filter((line) => line.includes(MARKER) && !line.includes(`failed near ${MARKER}`)),
    [],
    'the marker only inside the sink error',
  );
});

t.test('a body without Content-Type is read as JSON', async (t) => {
  const { app, sink } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  const request = trackRequest({});
  const headers: Record<string, string> = { ...request.headers };
  delete headers['content-type'];
  const response = await app.inject({ ...request, headers });
  t.equal(response.statusCode, 202);
  t.equal(sink.rows('events').length, 1);
});

t.test('mangled bodies never fail the server: every answer is 2xx or 4xx', async (t) => {
  const { app } = await buildAnalyticsApp();
  t.teardown(() => app.close());
  // A small deterministic generator (mulberry32), so a failure replays.
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const values: unknown[] = [null, true, 0, -1, 1e308, '', 'x', '42', [], {}, [[[]]], { a: { b: [1] } }, 'https://example.com/', 'javascript:1', '\u0000', '\uD800'];
  const pick = (): unknown => values[Math.floor(random() * values.length)];
  const valid = { site: TRACK_SITE, name: 'signup', url: PAGE, referrer: 'https://ref.example/', screen: { w: 1, h: 2 }, title: 't', props: { a: 1 }, ts: Date.now() };
  const statuses = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    let payload: string;
    const mode = i % 3;
    if (mode === 0) {
      // A field of the valid body replaced by a value of another type.
      const body: Record<string, unknown> = { ...valid };
      const keys = Object.keys(body);
      body[keys[Math.floor(random() * keys.length)] as string] = pick();
      if (random() < 0.5) body.engagement = { ms: pick(), scroll: pick() };
      payload = JSON.stringify(body);
    } else if (mode === 1) {
      // The valid body cut short or with a byte flipped.
      const text = JSON.stringify(valid);
      const at = Math.floor(random() * text.length);
      payload = random() < 0.5 ? text.slice(0, at) : `${text.slice(0, at)}${String.fromCharCode(Math.floor(random() * 128))}${text.slice(at + 1)}`;
    } else {
      payload = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256))).toString('latin1');
    }
    for (const url of ['/api/track', '/api/ingest/events', '/api/ingest/identify']) {
      const request = url === '/api/track' ? { ...trackRequest({}), payload } : ingestRequest(url, url.endsWith('events') ? `{"events":[${payload}]}` : payload);
      const response = await app.inject(request);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode >= 500) t.fail(`${url} answered ${response.statusCode} to ${JSON.stringify(payload)}: ${response.body}`);
    }
  }
  t.ok(statuses.has(202) && statuses.has(400) && statuses.has(200), `a mix of answers: ${JSON.stringify([...statuses])}`);
});

t.test('registered in another server (the API port), it leaves that server’s parsing and errors alone', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  app.setErrorHandler((_error, _request, reply) => reply.code(418).send({ theirs: true }));
  app.post('/api/v1/echo', async (request) => ({ echoed: request.body }));
  app.post('/api/v1/fail', async () => {
    throw new Error('theirs');
  });
  const sink = new MemorySink();
  await app.register(analyticsHttpPlugin, { sink, keys, sites: new MemorySiteDirectory(), salts: new FixedSalts(), geo, drops: new RecordingDrops() });
  const echo = await app.inject({ method: 'POST', url: '/api/v1/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
  t.strictSame(echo.json(), { echoed: { a: 1 } }, 'their JSON parser still parses');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/fail' })).statusCode, 418, 'their error handler still answers');
  t.equal((await app.inject(trackRequest({}))).statusCode, 202);
  const refused = await app.inject(trackRequest({ url: 'ftp://example.com/' }));
  t.match(refused.json(), { error: { code: 'INVALID_ARGUMENT' } }, 'ours answers ours');
  t.equal(sink.rows('events').length, 1);
});

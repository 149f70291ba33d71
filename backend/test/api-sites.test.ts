// Covers GET and PATCH /api/v1/sites/{id} (read to see, admin to change; a key
// sees and changes only its own site; values stored as typed after trimming;
// bad settings 400 with the store's message; the write goes through the
// server's writable pool while queries keep the read-only one) and GET
// /api/v1/analytics/dropped (drop counts per reason over UTC days, whatever
// the site's time zone); and the same PATCH through `serve`, whose API pool is
// read-only, so the write must take the pool the server gives for writes.
import { tmpdir } from 'node:os';
import t from 'tap';
import { openDatabase } from '../src/db/connect.ts';
import { createApiKey } from '../src/store/api-keys.ts';
import { getSite } from '../src/store/sites.ts';
import { insertDrops, setUpAnalyticsViewTest } from './helpers/analytics-view-rows.ts';
import { testLogger } from './helpers/test-database.ts';
import { startTestServer } from './helpers/test-server.ts';

const { db, siteA, siteB, readA, adminA, ingestA, readB, adminB, request } = await setUpAnalyticsViewTest(t);

await insertDrops(db, siteA, [
  { day: '2026-11-20', reason: 'bot', count: 5 },
  { day: '2026-11-20', reason: 'dnt', count: 2 },
  { day: '2026-11-21', reason: 'bot', count: 1 },
  { day: '2026-11-21', reason: 'gpc', count: 3 },
  { day: '2026-11-22', reason: 'bot', count: 7 },
]);
await insertDrops(db, siteB, [{ day: '2026-11-20', reason: 'referrer_spam', count: 9 }]);

t.test('GET /sites/{id} with the read scope, own site only', async (t) => {
  t.match(await request('GET', `/api/v1/sites/${siteA}`, readA), {
    status: 200,
    body: { id: siteA, name: 'a', domains: [], timezone: 'UTC', excludedIps: [], excludedCountries: [] },
  });
  t.match(await request('GET', `/api/v1/sites/${siteB}`, readA), { status: 404 });
  t.match(await request('GET', `/api/v1/sites/${siteA}`, adminA), { status: 403 }, 'admin does not imply read');
  t.match(await request('GET', `/api/v1/sites/${siteA}`, ingestA), { status: 403 });
  t.match(await request('GET', '/api/v1/sites/abc', readA), { status: 400 });
});

t.test('PATCH /sites/{id} with the admin scope changes only what is given', async (t) => {
  const patched = await request('PATCH', `/api/v1/sites/${siteA}`, adminA, {
    domains: [' Shop.Example ', 'blog.shop.example'],
    timezone: 'Asia/Kolkata',
    excludedIps: ['203.0.113.7', '2001:db8::/32'],
    excludedCountries: ['de'],
  });
  const expected = {
    id: siteA,
    name: 'a',
    domains: ['shop.example', 'blog.shop.example'],
    timezone: 'Asia/Kolkata',
    excludedIps: ['203.0.113.7', '2001:db8::/32'],
    excludedCountries: ['DE'],
  };
  t.match(patched, { status: 200, body: expected });
  t.match(await getSite(db, siteA), { ...expected, createdAt: Date }, 'stored');
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminA, { name: 'Shop' }), { status: 200, body: { ...expected, name: 'Shop' } });
  t.match(await request('GET', `/api/v1/sites/${siteA}`, readA), { body: { ...expected, name: 'Shop' } });
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminA, { excludedIps: [] }), { body: { excludedIps: [], domains: expected.domains } }, 'an empty list clears');
});

t.test('PATCH /sites/{id} refuses other sites, other scopes and bad settings', async (t) => {
  t.match(await request('PATCH', `/api/v1/sites/${siteB}`, adminA, { name: 'x' }), { status: 404 });
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminB, { name: 'x' }), { status: 404 });
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, readA, { name: 'x' }), { status: 403 }, 'read does not imply admin');
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, ingestA, { name: 'x' }), { status: 403 });
  for (const [what, body, message] of [
    ['a time zone', { timezone: 'Mars/Olympus' }, /time zone/],
    ['an address', { excludedIps: ['300.1.1.1'] }, /IP address/],
    ['a country', { excludedCountries: ['XX'] }, /country/],
    ['a domain with a scheme', { domains: ['https://shop.example'] }, /hostname/],
    ['a blank name', { name: '  ' }, /name/],
  ] as const) {
    t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminA, body), { status: 400, body: { error: { code: 'INVALID_ARGUMENT', message } } }, what);
  }
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminA, { owner: 'x' }), { status: 400 }, 'an unknown field');
  t.match(await request('PATCH', `/api/v1/sites/${siteA}`, adminA, { domains: [{ host: 'shop.example' }] }), { status: 400 }, 'an object in a list');
  t.match(await getSite(db, siteA), { name: 'Shop', timezone: 'Asia/Kolkata' }, 'nothing changed by refused requests');
});

t.test('GET /analytics/dropped counts per reason over UTC days', async (t) => {
  // The site is in Asia/Kolkata by now; drop counts are per UTC day, so the same days are read.
  const body = { dropped: [{ reason: 'bot', count: 6 }, { reason: 'gpc', count: 3 }, { reason: 'dnt', count: 2 }] };
  t.strictSame(await request('GET', '/api/v1/analytics/dropped?date_range=2026-11-20,2026-11-21', readA), { status: 200, body });
  t.strictSame(await request('GET', '/api/v1/analytics/dropped?date_range=2026-11-22,2026-11-22', readA), { status: 200, body: { dropped: [{ reason: 'bot', count: 7 }] } });
  t.strictSame(await request('GET', '/api/v1/analytics/dropped?date_range=2026-11-20,2026-11-21', readB), {
    status: 200,
    body: { dropped: [{ reason: 'referrer_spam', count: 9 }] },
  });
  t.match(await request('GET', `/api/v1/analytics/dropped?site=${siteB}`, readA), { status: 404 });
  t.match(await request('GET', '/api/v1/analytics/dropped?date_range=soon', readA), { status: 400 });
  t.match(await request('GET', '/api/v1/analytics/dropped', adminA), { status: 403 });
});

t.test('serve: PATCH writes through the ingest pool while the API pool stays read-only', async (t) => {
  const server = await startTestServer(t);
  const handle = await openDatabase({ databaseUrl: server.databaseUrl, dataDir: tmpdir(), logger: testLogger() });
  t.teardown(() => handle.close());
  const admin = (await createApiKey(handle.db, { siteId: server.siteId, scopes: ['admin'] })).key;
  await server.untilKeyIsLive(admin);
  const response = await fetch(`${server.apiUrl}/api/v1/sites/${server.siteId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ timezone: 'Europe/Berlin' }),
  });
  t.equal(response.status, 200);
  t.match(await response.json(), { id: server.siteId, timezone: 'Europe/Berlin' });
  t.match(await server.api(`/api/v1/sites/${server.siteId}`), { status: 200, body: { timezone: 'Europe/Berlin' } });
});

// Covers GET /api/v1/services and GET /api/v1/services/:service/operations through
// app.inject: counts, time ranges (default: last 24 hours), URL-encoded service
// names, 400s (NUL in the path or the query, over-long names, ranges over 7
// days), and that a key of another site sees nothing.
import t from 'tap';
import { nanos, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { siteA, siteB, keyB, write, get } = await setUpApiTest(t);

const now = Date.now();
const recent = nanos(new Date(now - 3_600_000));
const dayAgo = nanos(new Date(now - 30 * 3_600_000));
await write(siteA, [
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'GET /', kind: 2, startTimeUnixNano: recent }),
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'GET /', kind: 2, statusCode: 2, startTimeUnixNano: recent + SECOND }),
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'POST /pay', kind: 3, startTimeUnixNano: recent + 2n * SECOND }),
  spanRow(siteA, { serviceName: 'billing', name: 'invoice', kind: 1, startTimeUnixNano: dayAgo }),
]);
await write(siteB, [spanRow(siteB, { serviceName: 'b-only', startTimeUnixNano: recent })]);

t.test('GET /services lists the last 24 hours by default', async (t) => {
  const { status, body } = await get('/api/v1/services');
  t.equal(status, 200);
  t.strictSame(body, { services: [{ name: 'shop/frontend', spanCount: 3, errorCount: 1 }] });
});

t.test('GET /services takes a range', async (t) => {
  const start = new Date(now - 48 * 3_600_000).toISOString();
  const { body } = await get(`/api/v1/services?start=${encodeURIComponent(start)}&end=${now}`);
  t.strictSame(body, {
    services: [
      { name: 'billing', spanCount: 1, errorCount: 0 },
      { name: 'shop/frontend', spanCount: 3, errorCount: 1 },
    ],
  });
  const bad = await get('/api/v1/services?start=never');
  t.equal(bad.status, 400);
  t.match(bad.body, { error: { code: 'INVALID_ARGUMENT', message: /start/ } });
});

t.test('GET /services/:service/operations, with an encoded service name', async (t) => {
  const { status, body } = await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/operations`);
  t.equal(status, 200);
  t.strictSame(body, {
    operations: [
      { name: 'GET /', spanKind: 2, spanCount: 2, errorCount: 1 },
      { name: 'POST /pay', spanKind: 3, spanCount: 1, errorCount: 0 },
    ],
  });
  t.strictSame((await get('/api/v1/services/unknown/operations')).body, { operations: [] });
  t.equal((await get('/api/v1/services/billing/operations?bogus=1')).status, 400);
});

t.test('a key sees only its own site', async (t) => {
  t.strictSame((await get('/api/v1/services', keyB)).body, { services: [{ name: 'b-only', spanCount: 1, errorCount: 0 }] });
  t.strictSame((await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/operations`, keyB)).body, { operations: [] });
  t.strictSame((await get('/api/v1/services/b-only/operations')).body, { operations: [] });
});

t.test('NUL, over-long names and over-long ranges are 400s', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['/api/v1/services/%00/operations', /params\.service must not contain NUL/],
    ['/api/v1/services/a%00b/operations', /params\.service must not contain NUL/],
    [`/api/v1/services/${'s'.repeat(1025)}/operations`, /params\.service must NOT have more than 1024 characters/],
    ['/api/v1/services?end=%00', /querystring\.end must not contain NUL/],
    [`/api/v1/services?start=${now - 7 * 86_400_000 - 1}&end=${now}`, /may be at most 7 days/],
    [`/api/v1/services/billing/operations?start=${now - 8 * 86_400_000}&end=${now}`, /may be at most 7 days/],
  ];
  for (const [url, message] of cases) {
    const { status, body } = await get(url);
    t.equal(status, 400, url.slice(0, 60));
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message } }, url.slice(0, 60));
  }
  t.equal((await get(`/api/v1/services/${'s'.repeat(1024)}/operations`)).status, 200, 'a name of 1024 characters');
  t.equal((await get(`/api/v1/services?start=${now - 7 * 86_400_000}&end=${now}`)).status, 200, '7 days');
});

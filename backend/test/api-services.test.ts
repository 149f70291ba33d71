// Covers GET /api/v1/services, /services/:service/operations and
// /services/:service/timeseries through app.inject: RED figures from the
// rollups, time ranges (default: last 24 hours; minute granularity), steps,
// URL-encoded service names, 400s (NUL, over-long names, ranges over 31 days,
// bad steps, too many points), unknown services (empty), and that a key of
// another site sees nothing.
import t from 'tap';
import { bucketEstimateNs, bucketOf } from '../src/rollups/latency-sketch.ts';
import { MS, nanos, newSpanId, SECOND, spanRow } from './helpers/query-fixtures.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { siteA, siteB, keyB, write, get } = await setUpApiTest(t);

const now = Date.now();
const minute = Math.floor((now - 3_600_000) / 60_000) * 60_000;
const recent = nanos(new Date(minute));
const dayAgo = nanos(new Date(now - 30 * 3_600_000));
const sketched = (ms: number): number => bucketEstimateNs(bucketOf(BigInt(ms) * MS)) / 1e6;
const pointsOf = (body: unknown): unknown[] => (body as { points: unknown[] }).points;
await write(siteA, [
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'GET /', kind: 2, startTimeUnixNano: recent, endTimeUnixNano: recent + 10n * MS }),
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'GET /', kind: 2, statusCode: 2, startTimeUnixNano: recent + SECOND, endTimeUnixNano: recent + SECOND + 30n * MS }),
  spanRow(siteA, { serviceName: 'shop/frontend', name: 'POST /pay', kind: 3, parentSpanId: newSpanId(), statusCode: 2, startTimeUnixNano: recent + 2n * SECOND }),
  spanRow(siteA, { serviceName: 'billing', name: 'invoice', kind: 1, startTimeUnixNano: dayAgo }),
]);
await write(siteB, [spanRow(siteB, { serviceName: 'b-only', startTimeUnixNano: recent })]);

const daySeconds = 24 * 3600;
const withoutName = <T extends { name: string }>({ name: _, ...rest }: T) => rest;
const frontend = (seconds: number) => ({
  name: 'shop/frontend',
  requestCount: 2,
  requestRate: 2 / seconds,
  errorCount: 1,
  errorRate: 0.5,
  p50: sketched(10),
  p95: sketched(30),
  p99: sketched(30),
  spanCount: 3,
  errorSpanCount: 2,
});

t.test('GET /services lists the last 24 hours by default, with RED figures', async (t) => {
  const { status, body } = await get('/api/v1/services');
  t.equal(status, 200);
  const { services } = body as { services: Array<{ requestRate: number }> };
  // The default range ends now, not on a minute: it covers 24 h and the minute it ends in.
  t.ok(services[0]!.requestRate > 2 / (daySeconds + 60) - 1e-12 && services[0]!.requestRate <= 2 / daySeconds);
  t.strictSame(body, { services: [{ ...frontend(1), requestRate: services[0]!.requestRate }] });
});

t.test('GET /services takes a range', async (t) => {
  const end = Math.ceil(now / 60_000) * 60_000;
  const start = end - 48 * 3_600_000;
  const { body } = await get(`/api/v1/services?start=${encodeURIComponent(new Date(start).toISOString())}&end=${end}`);
  t.strictSame(body, {
    services: [
      { name: 'billing', requestCount: 1, requestRate: 1 / (2 * daySeconds), errorCount: 0, errorRate: 0, p50: sketched(10), p95: sketched(10), p99: sketched(10), spanCount: 1, errorSpanCount: 0 },
      frontend(2 * daySeconds),
    ],
  });
  const bad = await get('/api/v1/services?start=never');
  t.equal(bad.status, 400);
  t.match(bad.body, { error: { code: 'INVALID_ARGUMENT', message: /start/ } });
});

t.test('GET /services/:service/operations, with an encoded service name', async (t) => {
  const start = minute - 60_000;
  const end = minute + 4 * 60_000;
  const { status, body } = await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/operations?start=${start}&end=${end}`);
  t.equal(status, 200);
  t.strictSame(body, {
    operations: [
      { name: 'GET /', spanKind: 2, requestCount: 2, requestRate: 2 / 300, errorCount: 1, errorRate: 0.5, p50: sketched(10), p95: sketched(30), p99: sketched(30), spanCount: 2, errorSpanCount: 1 },
      { name: 'POST /pay', spanKind: 3, requestCount: 0, requestRate: 0, errorCount: 0, errorRate: 0, p50: null, p95: null, p99: null, spanCount: 1, errorSpanCount: 1 },
    ],
  });
  t.strictSame((await get('/api/v1/services/unknown/operations')).body, { operations: [] });
  t.equal((await get('/api/v1/services/billing/operations?bogus=1')).status, 400);
});

t.test('GET /services/:service/timeseries: steps, operation, defaults', async (t) => {
  const start = minute - 2 * 60_000;
  const end = minute + 3 * 60_000;
  const url = `/api/v1/services/${encodeURIComponent('shop/frontend')}/timeseries?start=${start}&end=${end}`;
  const { status, body } = await get(`${url}&step=60s`);
  t.equal(status, 200);
  t.strictSame(body, {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    step: 60,
    points: [{ time: new Date(minute).toISOString(), ...withoutName(frontend(60)) }],
  });
  const byOperation = await get(`${url}&step=300&operation=${encodeURIComponent('POST /pay')}`);
  t.strictSame((byOperation.body as { points: Array<{ spanCount: number; requestCount: number }> }).points.map((p) => [p.spanCount, p.requestCount]), [[1, 0]]);
  t.equal((byOperation.body as { step: number }).step, 300, 'step in seconds');
  const defaults = await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/timeseries`);
  t.equal(defaults.status, 200);
  t.equal((defaults.body as { step: number }).step, 720, '24 h in about 120 steps of whole minutes');
  t.strictSame(pointsOf((await get('/api/v1/services/unknown/timeseries?step=1h')).body), [], 'an unknown service: no points');
});

t.test('bad steps and too many points are 400s', async (t) => {
  const base = '/api/v1/services/billing/timeseries';
  for (const step of ['0', '59', '90s', '1.5m', 'soon', '-60', '1d']) {
    const { status, body } = await get(`${base}?step=${encodeURIComponent(step)}`);
    t.equal(status, 400, `step=${step}`);
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message: /step/ } }, step);
  }
  const tooMany = await get(`${base}?step=60&start=${now - 2 * 86_400_000}&end=${now}`);
  t.equal(tooMany.status, 400);
  t.match(tooMany.body, { error: { message: /more than 1500 points/ } });
  t.equal((await get(`${base}?step=60&start=${minute - 1500 * 60_000}&end=${minute}`)).status, 200, '1,500 points');
  t.equal((await get(`${base}?step=${'9'.repeat(33)}`)).status, 400, 'an over-long step');
  t.equal((await get(`${base}?step=${'9'.repeat(13)}`)).status, 400, 'an absurd step');
});

t.test('a key sees only its own site', async (t) => {
  const { body } = await get('/api/v1/services', keyB);
  const requestRate = (body as { services: Array<{ requestRate: number }> }).services[0]?.requestRate;
  t.strictSame(body, {
    services: [{ name: 'b-only', requestCount: 1, requestRate, errorCount: 0, errorRate: 0, p50: sketched(10), p95: sketched(10), p99: sketched(10), spanCount: 1, errorSpanCount: 0 }],
  });
  t.strictSame((await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/operations`, keyB)).body, { operations: [] });
  t.strictSame(pointsOf((await get(`/api/v1/services/${encodeURIComponent('shop/frontend')}/timeseries`, keyB)).body), []);
  t.strictSame((await get('/api/v1/services/b-only/operations')).body, { operations: [] });
});

t.test('NUL, over-long names and over-long ranges are 400s', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['/api/v1/services/%00/operations', /params\.service must not contain NUL/],
    ['/api/v1/services/a%00b/operations', /params\.service must not contain NUL/],
    ['/api/v1/services/a%00b/timeseries', /params\.service must not contain NUL/],
    ['/api/v1/services/a/timeseries?operation=%00', /querystring\.operation must not contain NUL/],
    ['/api/v1/services/a/timeseries?step=%00', /querystring\.step must not contain NUL/],
    [`/api/v1/services/${'s'.repeat(1025)}/operations`, /params\.service must NOT have more than 1024 characters/],
    ['/api/v1/services?end=%00', /querystring\.end must not contain NUL/],
    [`/api/v1/services?start=${now - 31 * 86_400_000 - 1}&end=${now}`, /may be at most 31 days/],
    [`/api/v1/services/billing/operations?start=${now - 32 * 86_400_000}&end=${now}`, /may be at most 31 days/],
    [`/api/v1/services/billing/timeseries?start=${now - 32 * 86_400_000}&end=${now}&step=1h`, /may be at most 31 days/],
  ];
  for (const [url, message] of cases) {
    const { status, body } = await get(url);
    t.equal(status, 400, url.slice(0, 60));
    t.match(body, { error: { code: 'INVALID_ARGUMENT', message } }, url.slice(0, 60));
  }
  t.equal((await get(`/api/v1/services/${'s'.repeat(1024)}/operations`)).status, 200, 'a name of 1024 characters');
  t.equal((await get(`/api/v1/services?start=${now - 31 * 86_400_000}&end=${now}`)).status, 200, '31 days');
});

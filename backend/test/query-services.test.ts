// Covers serviceRed, operationRed and redTimeseries over a real database with
// a three-service set (frontend calls orders over HTTP; orders queries
// PostgreSQL and publishes to a queue that mailer consumes; mailer also runs a
// cron job, and a pinger is seen only as a client): request, error and span
// counts, rates and quantiles computed by hand; the same answer from hour
// rows, minute rows and both; steps; and site isolation.
import type { SpanRow } from '@justanalytics/collector';
import t from 'tap';
import { bucketEstimateNs, bucketOf } from '../src/rollups/latency-sketch.ts';
import { operationRed } from '../src/query/traces/operation-red.ts';
import { redTimeseries } from '../src/query/traces/red-timeseries.ts';
import { serviceRed } from '../src/query/traces/service-red.ts';
import { MS, nanos, newSpanId, newTraceId, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);

const hourMs = 3_600_000;
const hourStart = (Math.floor(Date.now() / hourMs) - 3) * hourMs;
const at = (minutes: number): bigint => nanos(new Date(hourStart + minutes * 60_000));

/** What the sketch reports for an exact latency in ms: the estimate of its bucket. */
const sketched = (ms: number): number => bucketEstimateNs(bucketOf(BigInt(ms) * MS)) / 1e6;

function span(overrides: Partial<SpanRow> & { startTimeUnixNano: bigint; durationMs: number }): SpanRow {
  const { durationMs, ...rest } = overrides;
  return spanRow(siteA, { ...rest, endTimeUnixNano: rest.startTimeUnixNano + BigInt(durationMs) * MS });
}

// Ten traces, one every ten minutes from minute 10 (five in each of two hours).
const rows: SpanRow[] = [];
for (let i = 0; i < 10; i++) {
  const traceId = newTraceId();
  const start = at(10 + 10 * i);
  const ids = Array.from({ length: 6 }, newSpanId);
  rows.push(
    span({ traceId, spanId: ids[0]!, serviceName: 'frontend', name: 'GET /checkout', kind: 2, startTimeUnixNano: start, durationMs: 100 + 10 * i }),
    span({ traceId, spanId: ids[1]!, parentSpanId: ids[0]!, serviceName: 'frontend', name: 'POST /orders', kind: 3, statusCode: i < 2 ? 2 : 0, startTimeUnixNano: start + MS, durationMs: 60 + 5 * i }),
    span({ traceId, spanId: ids[2]!, parentSpanId: ids[1]!, serviceName: 'orders', name: 'POST /orders', kind: 2, statusCode: i < 2 ? 2 : 0, startTimeUnixNano: start + 2n * MS, durationMs: 50 + 5 * i }),
    span({ traceId, spanId: ids[3]!, parentSpanId: ids[2]!, serviceName: 'orders', name: 'SELECT orders', kind: 3, startTimeUnixNano: start + 3n * MS, durationMs: 5 }),
    span({ traceId, spanId: ids[4]!, parentSpanId: ids[2]!, serviceName: 'orders', name: 'orders publish', kind: 4, startTimeUnixNano: start + 4n * MS, durationMs: 1 }),
    span({ traceId, spanId: ids[5]!, parentSpanId: ids[4]!, serviceName: 'mailer', name: 'orders process', kind: 5, statusCode: i === 3 ? 2 : 0, startTimeUnixNano: start + 10n * MS, durationMs: 20 + i }),
    span({ traceId, parentSpanId: ids[5]!, serviceName: 'mailer', name: 'send email', kind: 1, startTimeUnixNano: start + 11n * MS, durationMs: 15 }),
  );
}
// A cron job: an internal root span is a request. A pinger seen only as a client (its parent elsewhere).
rows.push(span({ serviceName: 'mailer', name: 'nightly cleanup', kind: 1, startTimeUnixNano: at(61), durationMs: 1000 }));
rows.push(span({ serviceName: 'pinger', name: 'GET /health', kind: 3, parentSpanId: newSpanId(), startTimeUnixNano: at(62), durationMs: 3 }));
await write(siteA, rows.slice(0, 40));
await write(siteA, rows.slice(40));
await write(siteB, [spanRow(siteB, { serviceName: 'b-service', startTimeUnixNano: at(10) })]);

const twoHours = { start: new Date(hourStart), end: new Date(hourStart + 2 * hourMs) };
const seconds = 7200;

const expected = [
  {
    name: 'frontend', requestCount: 10, requestRate: 10 / seconds, errorCount: 0, errorRate: 0,
    p50: sketched(140), p95: sketched(190), p99: sketched(190), spanCount: 20, errorSpanCount: 2,
  },
  {
    name: 'mailer', requestCount: 11, requestRate: 11 / seconds, errorCount: 1, errorRate: 1 / 11,
    // 20 … 29 ms and the cron job's 1000 ms: the 6th of 11 is 25 ms, the 11th 1000 ms.
    p50: sketched(25), p95: sketched(1000), p99: sketched(1000), spanCount: 21, errorSpanCount: 1,
  },
  {
    name: 'orders', requestCount: 10, requestRate: 10 / seconds, errorCount: 2, errorRate: 0.2,
    p50: sketched(70), p95: sketched(95), p99: sketched(95), spanCount: 30, errorSpanCount: 2,
  },
  { name: 'pinger', requestCount: 0, requestRate: 0, errorCount: 0, errorRate: 0, p50: null, p95: null, p99: null, spanCount: 1, errorSpanCount: 0 },
];

t.test('services: RED numbers computed by hand, from hour rows', async (t) => {
  t.strictSame(await serviceRed(db, siteA, twoHours), expected);
});

t.test('the same counts from minute rows only, and from hours with minute edges', async (t) => {
  const counts = (list: Awaited<ReturnType<typeof serviceRed>>) => list.map(({ requestRate: _, ...rest }) => rest);
  const withoutRate = expected.map(({ requestRate: _, ...rest }) => rest);
  // [5, 115) minutes holds no whole hour: minute rows only.
  const minutesOnly = await serviceRed(db, siteA, { start: new Date(hourStart + 5 * 60_000), end: new Date(hourStart + 115 * 60_000) });
  t.strictSame(counts(minutesOnly), withoutRate);
  t.equal(minutesOnly[0]!.requestRate, 10 / (110 * 60), 'rate over the 110 minutes');
  // [5 min, 3 h): minute rows to the first hour, then hour rows.
  t.strictSame(counts(await serviceRed(db, siteA, { start: new Date(hourStart + 5 * 60_000), end: new Date(hourStart + 3 * hourMs) })), withoutRate);
  // A range not on minutes covers the minutes it touches: [10:30, 20:01) holds the traces of minutes 10 and 20.
  const touched = await serviceRed(db, siteA, { start: new Date(hourStart + 10.5 * 60_000), end: new Date(hourStart + 20 * 60_000 + 1) });
  t.strictSame(touched.map((s) => [s.name, s.requestCount]), [['frontend', 2], ['mailer', 2], ['orders', 2]]);
  t.equal(touched[0]!.requestRate, 2 / (11 * 60), 'rate over the 11 minutes touched');
  // Half a minute after minute 10 began up to the start of minute 20: only minute 10's trace.
  t.strictSame((await serviceRed(db, siteA, { start: new Date(hourStart + 10.5 * 60_000), end: new Date(hourStart + 20 * 60_000) })).map((s) => s.requestCount), [1, 1, 1]);
});

t.test('operations of a service, per name and kind', async (t) => {
  const orders = await operationRed(db, siteA, 'orders', twoHours);
  t.strictSame(orders.map((o) => [o.name, o.spanKind, o.requestCount, o.errorCount, o.spanCount, o.errorSpanCount]), [
    ['POST /orders', 2, 10, 2, 10, 2],
    ['SELECT orders', 3, 0, 0, 10, 0],
    ['orders publish', 4, 0, 0, 10, 0],
  ]);
  t.strictSame([orders[0]!.p50, orders[0]!.p99], [sketched(70), sketched(95)]);
  t.equal(orders[1]!.p50, null, 'a client operation has no requests');
  const mailer = await operationRed(db, siteA, 'mailer', twoHours);
  t.strictSame(mailer.map((o) => [o.name, o.spanKind, o.requestCount, o.spanCount, o.p50]), [
    ['nightly cleanup', 1, 1, 1, sketched(1000)],
    ['orders process', 5, 10, 10, sketched(24)],
    ['send email', 1, 0, 10, null],
  ]);
  t.strictSame(await operationRed(db, siteA, 'nope', twoHours), [], 'an unknown service: none');
});

t.test('time series per step, of a service and of one operation', async (t) => {
  const hourly = await redTimeseries(db, siteA, { service: 'orders', range: twoHours, stepMs: hourMs });
  t.strictSame(hourly.points.map((p) => [p.time.getTime() - hourStart, p.requestCount, p.errorCount, p.spanCount, p.p50]), [
    [0, 5, 2, 15, sketched(60)],
    [hourMs, 5, 0, 15, sketched(85)],
  ]);
  t.equal(hourly.points[0]!.requestRate, 5 / 3600);
  const tenMinutes = await redTimeseries(db, siteA, { service: 'frontend', operation: 'POST /orders', range: twoHours, stepMs: 10 * 60_000 });
  t.strictSame(
    tenMinutes.points.map((p) => [(p.time.getTime() - hourStart) / 60_000, p.requestCount, p.spanCount, p.errorSpanCount]),
    Array.from({ length: 10 }, (_, i) => [10 + 10 * i, 0, 1, i < 2 ? 1 : 0]),
    'steps without spans left out',
  );
  // A 25-minute step across the hour: [50, 75) reads minute rows on both sides of the hour.
  const uneven = await redTimeseries(db, siteA, { service: 'mailer', range: twoHours, stepMs: 25 * 60_000 });
  t.strictSame(uneven.points.map((p) => [(p.time.getTime() - hourStart) / 60_000, p.requestCount]), [[0, 2], [25, 2], [50, 4], [75, 2], [100, 1]]);
  t.strictSame((await redTimeseries(db, siteA, { service: 'nope', range: twoHours, stepMs: 60_000 })).points, []);
  await t.rejects(redTimeseries(db, siteA, { service: 'orders', range: twoHours, stepMs: 90_000 }), RangeError);
  await t.rejects(redTimeseries(db, siteA, { service: 'orders', range: { start: new Date(0), end: new Date(2_000 * 60_000) }, stepMs: 60_000 }), RangeError);
});

t.test('a site sees only its own services', async (t) => {
  t.strictSame((await serviceRed(db, siteB, twoHours)).map((s) => [s.name, s.requestCount]), [['b-service', 1]]);
  t.strictSame(await operationRed(db, siteB, 'orders', twoHours), []);
  t.strictSame(await operationRed(db, siteA, 'b-service', twoHours), []);
  t.strictSame((await redTimeseries(db, siteB, { service: 'orders', range: twoHours, stepMs: hourMs })).points, []);
});

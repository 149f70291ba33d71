// The metrics routes over HTTP (app.inject): GET /api/v1/metrics,
// GET /api/v1/metrics/{name}/attributes/{key}/values and
// POST /api/v1/metrics/query — answers and their JSON shape (NaN and
// infinities as strings), tenant isolation both ways, and a 400 with a reason
// for every bad input (unknown op, bad regex, too many filters, groupBy keys
// or values, wrong type for the aggregation, too many steps, ranges).
import t from 'tap';
import { attr, counterPoint, metricPoint, resourceWith } from './helpers/metric-rows.ts';
import { setUpApiTest } from './helpers/query-test-setup.ts';

const { sink, siteA, siteB, keyA, keyB, app, get } = await setUpApiTest(t);

const T0ms = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
const at = (seconds: number) => BigInt(T0ms + seconds * 1000) * 1_000_000n;
const range = { start: T0ms, end: T0ms + 120_000 };

await sink.write({
  signal: 'metrics',
  siteId: siteA,
  rows: [
    metricPoint(siteA, { metricName: 'room.temperature', unit: 'Cel', timeUnixNano: at(10), doubleValue: 20, attributes: [attr('room', 'lab')], resource: resourceWith('sensors', { 'host.name': 'pi' }) }),
    metricPoint(siteA, { metricName: 'room.temperature', unit: 'Cel', timeUnixNano: at(70), doubleValue: NaN, attributes: [attr('room', 'lab')], resource: resourceWith('sensors', { 'host.name': 'pi' }) }),
    counterPoint(siteA, 'jobs.total', at(10), 5n, at(-100)),
    counterPoint(siteA, 'jobs.total', at(20), 9n, at(-100)),
  ],
});
await sink.write({ signal: 'metrics', siteId: siteB, rows: [metricPoint(siteB, { metricName: 'b.only', timeUnixNano: at(10), doubleValue: 1 })] });

async function post(body: object, key = keyA) {
  const response = await app.inject({ method: 'POST', url: '/api/v1/metrics/query', headers: { authorization: `Bearer ${key}` }, payload: body });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), raw: response.body };
}

t.test('the metric list and attribute values', async (t) => {
  const list = await get(`/api/v1/metrics?start=${range.start}&end=${range.end}`);
  t.equal(list.status, 200);
  t.match(list.body, {
    metrics: [
      { name: 'jobs.total', type: 'sum', temporality: 2, monotonic: true, seriesCount: 1 },
      { name: 'room.temperature', type: 'gauge', unit: 'Cel', seriesCount: 1, attributeKeys: ['room'], resourceAttributeKeys: ['host.name', 'service.name'] },
    ],
    truncated: false,
  });
  t.equal((list.body as { metrics: unknown[] }).metrics.length, 2, "not site B's");
  const values = await get(`/api/v1/metrics/room.temperature/attributes/host.name/values?start=${range.start}&end=${range.end}`);
  t.same(values.body, { values: ['pi'], truncated: false });
  const other = await get(`/api/v1/metrics/room.temperature/attributes/host.name/values?start=${range.start}&end=${range.end}`, keyB);
  t.same(other.body, { values: [], truncated: false }, "site B's key sees none of site A's values");
  const mine = await get(`/api/v1/metrics?start=${range.start}&end=${range.end}`, keyB);
  t.match(mine.body, { metrics: [{ name: 'b.only' }] });
});

t.test('a query answers points with NaN as a string', async (t) => {
  const { status, body, raw } = await post({ ...range, step: 60, metric: 'room.temperature', aggregation: 'avg', groupBy: ['host.name', 'room'] });
  t.equal(status, 200);
  t.same(body, {
    metric: 'room.temperature',
    type: 'gauge',
    unit: 'Cel',
    aggregation: 'avg',
    step: 60,
    start: range.start,
    end: range.end,
    series: [{ labels: { 'host.name': 'pi', room: 'lab' }, points: [[T0ms, 20], [T0ms + 60_000, 'NaN']], exemplars: [] }],
  });
  t.match(raw, /"NaN"/, 'valid JSON');
  const increase = await post({ ...range, step: 60, metric: 'jobs.total', aggregation: 'increase' });
  t.same((increase.body['series'] as Array<{ points: unknown }>)[0]?.points, [[T0ms, 4]]);
  const other = await post({ ...range, metric: 'room.temperature', aggregation: 'avg' }, keyB);
  t.equal(other.status, 200);
  t.same([other.body['type'], other.body['series']], [null, []], "site B's key: no series");
  const unknown = await post({ ...range, metric: 'no.such.metric', aggregation: 'avg' });
  t.same([unknown.status, unknown.body['type'], unknown.body['series']], [200, null, []], 'an unknown metric: no series');
});

t.test('bad input is a 400 that says why', async (t) => {
  const base = { ...range, metric: 'room.temperature', aggregation: 'avg' };
  const cases: Array<[string, object, RegExp]> = [
    ['an unknown op', { ...base, filters: [{ key: 'room', op: 'like', value: 'x' }] }, /op/],
    ['a bad regex', { ...base, filters: [{ key: 'room', op: 'regex', value: '(' }] }, /not a valid regular expression/],
    ['21 filters', { ...base, filters: Array.from({ length: 21 }, () => ({ key: 'room', op: 'eq', value: 'lab' })) }, /filters/],
    ['11 groupBy keys', { ...base, groupBy: Array.from({ length: 11 }, (_, i) => `k${i}`) }, /groupBy/],
    ['101 in values', { ...base, filters: [{ key: 'room', op: 'in', value: Array.from({ length: 101 }, (_, i) => `v${i}`) }] }, /value/],
    ['eq with a list', { ...base, filters: [{ key: 'room', op: 'eq', value: ['a', 'b'] }] }, /takes one string value/],
    ['in with a string', { ...base, filters: [{ key: 'room', op: 'in', value: 'a' }] }, /takes an array/],
    ['a rate of a gauge', { ...base, aggregation: 'rate' }, /room.temperature is a gauge: rate does not apply to it/],
    ['a quantile of a counter', { ...base, metric: 'jobs.total', aggregation: 'p99' }, /jobs.total is a monotonic cumulative sum: p99 does not apply/],
    ['an unknown aggregation', { ...base, aggregation: 'median' }, /aggregation/],
    ['too many steps', { ...base, step: 1, end: range.start + 11_001_000 }, /11001 steps, more than 11000/],
    ['a zero step', { ...base, step: 0 }, /step/],
    ['a range beyond the search limit', { ...base, start: range.start - 200 * 3_600_000 }, /at most 7 days/],
    ['start after end', { ...base, start: range.end, end: range.start }, /start must be before end/],
    ['a malformed time', { ...base, start: 'yesterday' }, /start must be an ISO 8601 time/],
    ['no metric', { aggregation: 'avg' }, /metric/],
    ['an empty key', { ...base, filters: [{ key: '', op: 'eq', value: 'x' }] }, /key/],
    ['NUL in the metric', { ...base, metric: 'a\u0000b' }, /metric/],
    ['an unknown field', { ...base, limit: 5 }, /limit|additional/],
  ];
  for (const [what, body, message] of cases) {
    const response = await post(body);
    t.equal(response.status, 400, what);
    t.match(response.body, { error: { code: 'INVALID_ARGUMENT', message } }, what);
  }
});

t.test('the OpenAPI document describes the routes', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  const doc = response.json<{ paths: Record<string, Record<string, unknown>> }>();
  t.ok(doc.paths['/api/v1/metrics/query']?.['post'], 'POST /api/v1/metrics/query');
  t.ok(doc.paths['/api/v1/metrics']?.['get']);
  t.ok(doc.paths['/api/v1/metrics/{name}/attributes/{key}/values']?.['get']);
});

t.test('a body over the size limit is a 413, and malformed JSON a 400, both before any query', async (t) => {
  const huge = JSON.stringify({ ...range, metric: 'room.temperature', aggregation: 'avg', filters: [{ key: 'room', op: 'eq', value: 'x'.repeat(2 * 1024 * 1024) }] });
  const headers = { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' };
  const tooLarge = await app.inject({ method: 'POST', url: '/api/v1/metrics/query', headers, payload: huge });
  t.equal(tooLarge.statusCode, 413);
  t.match(tooLarge.json(), { error: { message: /.+/ } });
  const malformed = await app.inject({ method: 'POST', url: '/api/v1/metrics/query', headers, payload: '{"metric": ' });
  t.equal(malformed.statusCode, 400);
  t.match(malformed.json(), { error: { code: 'INVALID_ARGUMENT', message: /.+/ } });
});

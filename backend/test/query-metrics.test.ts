// The metrics query path (query/metrics/) on a real database, with points
// written through the store: series selection by point and resource
// attributes, each aggregation of each metric type with numbers computed here
// by hand (counter resets, the delta from the point before a step, gaps,
// histogram quantiles merged across series, exponential histograms,
// summaries, NaN and infinities), exemplars, the catalog and attribute
// values, the bounds, and that one site never sees another's series.
import type { MetricPointRow } from '@justanalytics/collector';
import t from 'tap';
import { metricAttributeValues } from '../src/query/metrics/attribute-values.ts';
import { WrongMetricTypeError } from '../src/query/metrics/metric-aggregations.ts';
import { listMetrics } from '../src/query/metrics/metric-catalog.ts';
import { queryMetric, type MetricQuery } from '../src/query/metrics/metric-query.ts';
import { InvalidMetricQueryError, InvalidRegexError } from '../src/query/metrics/series-selection.ts';
import { attr, counterPoint, histogramPoint, metricPoint, resourceWith } from './helpers/metric-rows.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, sink, siteA, siteB } = await setUpQueryTest(t);

const S = 1_000_000_000n;
// A minute boundary an hour ago: every step below starts at T0 + k minutes.
const T0ms = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
const T0 = BigInt(T0ms) * 1_000_000n;
const at = (seconds: number) => T0 + BigInt(seconds) * S;
const ms = (seconds: number) => T0ms + seconds * 1000;

async function write(siteId: string, rows: MetricPointRow[]): Promise<void> {
  const result = await sink.write({ signal: 'metrics', siteId, rows });
  if (result.rejected !== 0) throw new Error(result.message);
}

function query(overrides: Partial<MetricQuery> & { metric: string }): MetricQuery {
  return { filters: [], groupBy: [], aggregation: 'avg', stepSeconds: 60, start: new Date(ms(0)), end: new Date(ms(180)), ...overrides };
}

// Hostmetrics-like CPU utilisation: two hosts (resource), two CPUs each, states as point attributes.
const hostA = resourceWith('hostmetrics', { 'host.name': 'a' });
const hostB = resourceWith('hostmetrics', { 'host.name': 'b' });
const cpuRows: MetricPointRow[] = [];
for (const [resource, base] of [[hostA, 0.1], [hostB, 0.5]] as const) {
  for (const cpu of ['0', '1']) {
    for (const state of ['idle', 'user']) {
      for (let s = 0; s < 180; s += 30) {
        const value = state === 'idle' ? base + Number(cpu) * 0.1 + s / 10_000 : 1 - base;
        cpuRows.push(metricPoint(siteA, { metricName: 'system.cpu.utilization', resource, attributes: [attr('cpu', cpu), attr('state', state)], timeUnixNano: at(s), doubleValue: value }));
      }
    }
  }
}
await write(siteA, cpuRows);

t.test('a gauge averaged per resource attribute, filtered by a point attribute', async (t) => {
  const result = await queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', filters: [{ key: 'state', op: 'eq', value: 'idle' }], groupBy: ['host.name'] }));
  t.equal(result.type, 'gauge');
  const byHost = Object.fromEntries(result.series.map((s) => [s.labels['host.name'], s.points]));
  // Host a, step 0: cpu0 at 0s and 30s: 0.1, 0.103; cpu1: 0.2, 0.203 → avg of series averages.
  const stepAvg = (base: number, from: number) => (base + base + 0.1 + 2 * ((from + from + 30) / 2) / 10_000) / 2;
  t.equal(byHost['a']?.length, 3);
  t.ok(Math.abs((byHost['a']?.[0]?.[1] as number) - stepAvg(0.1, 0)) < 1e-12, 'host a, first step');
  t.ok(Math.abs((byHost['b']?.[2]?.[1] as number) - stepAvg(0.5, 120)) < 1e-12, 'host b, last step');
  t.same(byHost['a']?.map((p: [number, unknown]) => p[0]), [ms(0), ms(60), ms(120)], 'steps at their start times');

  const max = await queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', aggregation: 'max', filters: [{ key: 'host.name', op: 'neq', value: 'b' }, { key: 'state', op: 'in', value: ['idle'] }] }));
  t.equal(max.series.length, 1);
  t.ok(Math.abs((max.series[0]?.points[0]?.[1] as number) - 0.203) < 1e-12, 'max of host a idle, step 0');
  const count = await queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', aggregation: 'count', filters: [{ key: 'cpu', op: 'regex', value: '0|9' }], groupBy: ['state'] }));
  t.same(count.series.map((s) => [s.labels['state'], s.points[0]?.[1]]).sort(), [['idle', 4], ['user', 4]], '2 hosts × 2 points per step');
  const sum = await queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', aggregation: 'sum', filters: [{ key: 'state', op: 'eq', value: 'user' }] }));
  t.ok(Math.abs((sum.series[0]?.points[0]?.[1] as number) - (0.9 * 2 + 0.5 * 2)) < 1e-12, 'sum of the series averages');
  const none = await queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', groupBy: ['nope'], filters: [{ key: 'host.name', op: 'regex', value: 'a' }] }));
  t.same(none.series.map((s) => s.labels), [{ nope: null }], 'a missing groupBy key is null');
});

t.test('counter increase and rate: resets, the point before a step, gaps', async (t) => {
  const start1 = at(-3600);
  const start2 = at(100);
  const rows = [
    counterPoint(siteA, 'http.requests', at(-30), 100n, start1), // before the range: the base of step 0
    counterPoint(siteA, 'http.requests', at(10), 110n, start1),
    counterPoint(siteA, 'http.requests', at(40), 130n, start1),
    counterPoint(siteA, 'http.requests', at(70), 100n, start1), // value drop: a reset, counted from zero (as Prometheus does)
    counterPoint(siteA, 'http.requests', at(80), 105n, start1),
    counterPoint(siteA, 'http.requests', at(100), 3n, start2), // start time later: a restart from zero at start2
    counterPoint(siteA, 'http.requests', at(110), 8n, start2),
    counterPoint(siteA, 'http.requests', at(130), 0n, start2, { flags: 1, intValue: null }), // a gap
    counterPoint(siteA, 'http.requests', at(150), 0n, start2, { flags: 1, intValue: null }),
    counterPoint(siteA, 'http.requests', at(170), 0n, start2, { flags: 1, intValue: null }),
  ];
  // The same export twice (a retry after a lost reply) must not count twice.
  await write(siteA, rows);
  await write(siteA, rows.slice(1, 3));
  const increase = await queryMetric(db, siteA, query({ metric: 'http.requests', aggregation: 'increase' }));
  t.same(increase.series[0]?.points, [
    [ms(0), 30],
    [ms(60), 100 + 5 + 3 + 5],
  ], 'step 0: 10 + 20; step 1: 100 since the drop, +5, 3 since the restart, +5; step 2: only gaps, no point');
  const rate = await queryMetric(db, siteA, query({ metric: 'http.requests', aggregation: 'rate' }));
  t.same(rate.series[0]?.points, [
    [ms(0), 0.5],
    [ms(60), 113 / 60],
  ]);
  const value = await queryMetric(db, siteA, query({ metric: 'http.requests', aggregation: 'max' }));
  t.same(value.series[0]?.points, [
    [ms(0), 130],
    [ms(60), 105],
  ], 'a counter read as values');
  await t.rejects(queryMetric(db, siteA, query({ metric: 'http.requests', aggregation: 'p95' })), WrongMetricTypeError);
  await t.rejects(queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', aggregation: 'rate' })), { message: /system.cpu.utilization is a gauge: rate does not apply to it/ });
});

t.test('delta sums add up; a non-monotonic cumulative sum has no rate', async (t) => {
  await write(siteA, [
    metricPoint(siteA, { metricName: 'jobs.done', type: 'sum', temporality: 1, monotonic: true, doubleValue: null, intValue: 4n, timeUnixNano: at(10), attributes: [attr('queue', 'q1')] }),
    metricPoint(siteA, { metricName: 'jobs.done', type: 'sum', temporality: 1, monotonic: true, doubleValue: null, intValue: 6n, timeUnixNano: at(20), attributes: [attr('queue', 'q2')] }),
    metricPoint(siteA, { metricName: 'jobs.done', type: 'sum', temporality: 1, monotonic: true, doubleValue: null, intValue: 5n, timeUnixNano: at(70), attributes: [attr('queue', 'q1')] }),
    metricPoint(siteA, { metricName: 'queue.depth', type: 'sum', temporality: 2, monotonic: false, doubleValue: null, intValue: -3n, timeUnixNano: at(5) }),
  ]);
  const increase = await queryMetric(db, siteA, query({ metric: 'jobs.done', aggregation: 'increase' }));
  t.same(increase.series[0]?.points, [
    [ms(0), 10],
    [ms(60), 5],
  ]);
  const rate = await queryMetric(db, siteA, query({ metric: 'jobs.done', aggregation: 'rate', groupBy: ['queue'] }));
  t.same(Object.fromEntries(rate.series.map((s) => [s.labels['queue'], s.points])), { q1: [[ms(0), 4 / 60], [ms(60), 5 / 60]], q2: [[ms(0), 0.1]] });
  const depth = await queryMetric(db, siteA, query({ metric: 'queue.depth', aggregation: 'min' }));
  t.same(depth.series[0]?.points, [[ms(0), -3]]);
  await t.rejects(queryMetric(db, siteA, query({ metric: 'queue.depth', aggregation: 'increase' })), { message: /non-monotonic cumulative sum/ });
});

t.test('histogram quantiles merged across series from cumulative buckets', async (t) => {
  const bounds = [10, 100, 1000];
  const start = at(-600);
  const api1 = resourceWith('api', { 'host.name': 'a' });
  const api2 = resourceWith('api', { 'host.name': 'b' });
  await write(siteA, [
    histogramPoint(siteA, 'http.duration', at(-10), bounds, [1, 1, 0, 0], 60, { startTimeUnixNano: start, resource: api1 }),
    histogramPoint(siteA, 'http.duration', at(30), bounds, [1, 5, 2, 0], 1000, { startTimeUnixNano: start, resource: api1 }),
    histogramPoint(siteA, 'http.duration', at(50), bounds, [3, 9, 4, 1], 5000, { startTimeUnixNano: start, resource: api1 }),
    histogramPoint(siteA, 'http.duration', at(40), bounds, [0, 10, 0, 0], 500, { startTimeUnixNano: start, resource: api2 }),
    // api1 restarts in step 1 (start time 65 s): counted from zero, the run adds [1, 0, 10, 0] (sum 5001)
    histogramPoint(siteA, 'http.duration', at(70), bounds, [1, 0, 0, 0], 1, { startTimeUnixNano: at(65), resource: api1 }),
    histogramPoint(siteA, 'http.duration', at(90), bounds, [1, 0, 10, 0], 5001, { startTimeUnixNano: at(65), resource: api1 }),
  ]);
  // Step 0 increments: api1 [3,9,4,1] - [1,1,0,0] = [2,8,4,1] (count 15, sum 4940); api2's first point is its base: nothing.
  // Merged [2,8,4,1], total 15. p50: rank 7.5 → bucket (10,100]: 10 + 90 × (7.5 - 2) / 8.
  const p50 = await queryMetric(db, siteA, query({ metric: 'http.duration', aggregation: 'p50' }));
  t.equal(p50.type, 'histogram');
  t.same(p50.series[0]?.points[0], [ms(0), 10 + (90 * 5.5) / 8]);
  // p95: rank 14.25 → bucket (100,1000] holds ranks 10-14: 100 + 900 × 4.25 / 4 > 1000? No: 14.25 > 14 → the +Inf bucket → 1000.
  const p95 = await queryMetric(db, siteA, query({ metric: 'http.duration', aggregation: 'p95' }));
  t.same(p95.series[0]?.points[0], [ms(0), 1000]);
  // Step 1: api1's new run [1,0,10,0], 11 observations: p95 rank 10.45 in (100,1000] (ranks 2-11): 100 + 900 × 9.45/10.
  t.same(p95.series[0]?.points[1], [ms(60), 100 + (900 * 9.45) / 10]);
  const count = await queryMetric(db, siteA, query({ metric: 'http.duration', aggregation: 'count' }));
  t.same(count.series[0]?.points, [[ms(0), 15], [ms(60), 11]]);
  const avg = await queryMetric(db, siteA, query({ metric: 'http.duration', aggregation: 'avg', groupBy: ['host.name'] }));
  t.same(Object.fromEntries(avg.series.map((s) => [s.labels['host.name'], s.points])), { a: [[ms(0), 4940 / 15], [ms(60), 5001 / 11]], b: [[ms(0), 0]].slice(1) });
});

t.test('delta histograms add their buckets per step', async (t) => {
  const bounds = [1, 2];
  await write(siteA, [
    histogramPoint(siteA, 'rpc.size', at(5), bounds, [1, 1, 0], 3, { temporality: 1 }),
    histogramPoint(siteA, 'rpc.size', at(25), bounds, [0, 2, 0], 3, { temporality: 1, attributes: [attr('x', '1')] }),
    histogramPoint(siteA, 'rpc.size', at(45), [1, 2, 4], [0, 0, 0, 4], 20, { temporality: 1, attributes: [attr('x', '2')] }),
  ]);
  const count = await queryMetric(db, siteA, query({ metric: 'rpc.size', aggregation: 'count', filters: [{ key: 'x', op: 'neq', value: '2' }] }));
  t.same(count.series[0]?.points, [[ms(0), 4]]);
  // [1,3,0] over bounds 1,2: p50 rank 2 → (1,2]: 1 + 1 × (2 - 1)/3.
  const p50 = await queryMetric(db, siteA, query({ metric: 'rpc.size', aggregation: 'p50', filters: [{ key: 'x', op: 'neq', value: '2' }] }));
  t.same(p50.series[0]?.points, [[ms(0), 1 + 1 / 3]]);
  // With the other bounds merged in: [1,3,0,4] over 1,2,4 (8 observations): p99 rank 7.92 → the +Inf bucket → 4.
  const p99 = await queryMetric(db, siteA, query({ metric: 'rpc.size', aggregation: 'p99' }));
  t.same(p99.series[0]?.points, [[ms(0), 4]]);
});

t.test('exponential histograms and summaries', async (t) => {
  // Scale 0: bucket i is (2^i, 2^(i+1)]. Delta points: 4 values in (1,2], 4 in (4,8].
  const exp = (offset: number, counts: bigint[], scale = 0) => ({ scale, zeroCount: 0n, zeroThreshold: 0, positive: { offset, bucketCounts: counts }, negative: { offset: 0, bucketCounts: [] } });
  await write(siteA, [
    metricPoint(siteA, { metricName: 'latency.exp', type: 'exponential_histogram', temporality: 1, doubleValue: null, count: 4n, sum: 6, exponential: exp(0, [4n]), timeUnixNano: at(1) }),
    metricPoint(siteA, { metricName: 'latency.exp', type: 'exponential_histogram', temporality: 1, doubleValue: null, count: 4n, sum: 24, exponential: exp(4, [4n], 1), timeUnixNano: at(2), attributes: [attr('k', 'v')] }),
  ]);
  // Merged at scale 0: index 0 holds 4, index 2 holds 4 (scale 1 index 4 → 2). p25: rank 2 in bucket 0 → 2^(0 + 2/4).
  const p50 = await queryMetric(db, siteA, query({ metric: 'latency.exp', aggregation: 'p50' }));
  t.same(p50.series[0]?.points, [[ms(0), 2]], 'rank 4 ends bucket 0: its upper edge');
  const p90 = await queryMetric(db, siteA, query({ metric: 'latency.exp', aggregation: 'p90' }));
  t.ok(Math.abs((p90.series[0]?.points[0]?.[1] as number) - 2 ** (2 + 3.2 / 4)) < 1e-9, 'rank 7.2: 3.2 of 4 into (4, 8] on a log scale');
  const avg = await queryMetric(db, siteA, query({ metric: 'latency.exp', aggregation: 'avg' }));
  t.same(avg.series[0]?.points, [[ms(0), 30 / 8]]);

  await write(siteA, [
    metricPoint(siteA, { metricName: 'gc.pause', type: 'summary', doubleValue: null, count: 10n, sum: 5, quantiles: [{ quantile: 0.5, value: 0.2 }, { quantile: 0.99, value: 1.5 }], timeUnixNano: at(10), resource: hostA }),
    metricPoint(siteA, { metricName: 'gc.pause', type: 'summary', doubleValue: null, count: 10n, sum: 5, quantiles: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 2.5 }], timeUnixNano: at(10), resource: hostB }),
  ]);
  const p99 = await queryMetric(db, siteA, query({ metric: 'gc.pause', aggregation: 'p99' }));
  t.same(p99.series[0]?.points, [[ms(0), 2]], 'the summaries’ own p99, averaged');
  const p90s = await queryMetric(db, siteA, query({ metric: 'gc.pause', aggregation: 'p90' }));
  t.same(p90s.series[0]?.points, [], 'no such quantile: no points');
  await t.rejects(queryMetric(db, siteA, query({ metric: 'gc.pause', aggregation: 'avg' })), WrongMetricTypeError);
});

t.test('NaN and infinities come back as strings; exemplars come with their series', async (t) => {
  await write(siteA, [
    metricPoint(siteA, { metricName: 'odd', doubleValue: NaN, timeUnixNano: at(1), attributes: [attr('v', 'nan')] }),
    metricPoint(siteA, { metricName: 'odd', doubleValue: Infinity, timeUnixNano: at(1), attributes: [attr('v', 'inf')] }),
    metricPoint(siteA, {
      metricName: 'odd',
      doubleValue: -Infinity,
      timeUnixNano: at(1),
      attributes: [attr('v', 'ninf')],
      exemplars: [{ filteredAttributes: [], timeUnixNano: String(at(1)), asDouble: '-Infinity', spanId: '00f067aa0ba902b7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    }),
  ]);
  const result = await queryMetric(db, siteA, query({ metric: 'odd', aggregation: 'max', groupBy: ['v'] }));
  const byV = Object.fromEntries(result.series.map((s) => [s.labels['v'], s]));
  t.same(byV['nan']?.points, [[ms(0), 'NaN']]);
  t.same(byV['inf']?.points, [[ms(0), 'Infinity']]);
  t.same(byV['ninf']?.points, [[ms(0), '-Infinity']]);
  t.same(byV['ninf']?.exemplars, [{ filteredAttributes: [], timeUnixNano: String(at(1)), asDouble: '-Infinity', spanId: '00f067aa0ba902b7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }]);
  t.same(byV['inf']?.exemplars, []);
});

t.test('bad queries are refused with a reason', async (t) => {
  await t.rejects(queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', filters: [{ key: 'cpu', op: 'regex', value: '(' }] })), InvalidRegexError);
  await t.rejects(queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', stepSeconds: 1, end: new Date(ms(11_001)) })), { message: /11001 steps, more than 11000/ });
  await t.rejects(
    queryMetric(db, siteA, query({ metric: 'system.cpu.utilization', filters: Array.from({ length: 21 }, () => ({ key: 'a', op: 'eq' as const, value: 'b' })) })),
    InvalidMetricQueryError,
  );
  const unknown = await queryMetric(db, siteA, query({ metric: 'no.such.metric' }));
  t.same([unknown.type, unknown.series], [null, []], 'an unknown metric: no series');
});

t.test('another site sees none of it', async (t) => {
  const other = await queryMetric(db, siteB, query({ metric: 'system.cpu.utilization' }));
  t.same(other.series, []);
  t.same((await listMetrics(db, siteB, { start: new Date(ms(-3600)), end: new Date(ms(3600)) })).metrics, []);
  t.same((await metricAttributeValues(db, siteB, 'system.cpu.utilization', 'host.name', { start: new Date(ms(0)), end: new Date(ms(60)) })).values, []);
});

t.test('the catalog and attribute values', async (t) => {
  const catalog = await listMetrics(db, siteA, { start: new Date(ms(-3600)), end: new Date(ms(3600)) });
  const cpu = catalog.metrics.find((m) => m.name === 'system.cpu.utilization');
  t.same(cpu, {
    name: 'system.cpu.utilization',
    type: 'gauge',
    unit: '1',
    temporality: 0,
    monotonic: false,
    description: 'a test gauge',
    seriesCount: 8,
    attributeKeys: ['cpu', 'state'],
    resourceAttributeKeys: ['host.name', 'service.name'],
  });
  t.match(catalog.metrics.find((m) => m.name === 'http.requests'), { type: 'sum', temporality: 2, monotonic: true, seriesCount: 1 });
  t.equal(catalog.truncated, false);
  const range = { start: new Date(ms(0)), end: new Date(ms(60)) };
  t.same(await metricAttributeValues(db, siteA, 'system.cpu.utilization', 'host.name', range), { values: ['a', 'b'], truncated: false }, 'a resource attribute');
  t.same(await metricAttributeValues(db, siteA, 'system.cpu.utilization', 'state', range), { values: ['idle', 'user'], truncated: false }, 'a point attribute');
  t.same(await metricAttributeValues(db, siteA, 'system.cpu.utilization', 'nope', range), { values: [], truncated: false });
});

// The metrics signal's writer (MetricWriter) through the PostgresSink on a real
// database: every value of every point type stored and read back exactly
// (int64 extremes, NaN and ±Infinity, histograms, exponential histograms,
// summaries, exemplars, gaps), one series row per (site, series, day) shared
// by the points, series ids independent of attribute order, resource_scopes
// rows shared with spans, and the time window of the metrics retention.
import type { MetricPointRow } from '@justanalytics/collector';
import { sql } from 'kysely';
import t from 'tap';
import { admitMetricPoints } from '../src/store/metrics/metric-writer.ts';
import { metricSeriesId } from '../src/store/metrics/metric-series.ts';
import { attr, metricPoint, resourceWith } from './helpers/metric-rows.ts';
import { makeSpanRow, nanosAt } from './helpers/span-rows.ts';
import { startWriterTest } from './helpers/writer-test.ts';

const now = Date.parse('2026-11-23T12:00:00Z');
const { db, newSiteId, newSink } = await startWriterTest(t, { firstSiteId: 500, now });

const at = nanosAt('2026-11-23T10:00:00.123Z', 456_789n);

interface StoredPoint {
  metric_name: string;
  type: string;
  unit: string;
  temporality: number;
  monotonic: boolean;
  description: string;
  service_name: string;
  series_attributes: unknown;
  resource: unknown;
  time_unix_nano: string;
  start_time_unix_nano: string;
  flags: string;
  double_value: number | null;
  int_value: string | null;
  count: string | null;
  sum: number | null;
  min: number | null;
  max: number | null;
  bucket_counts: string[] | null;
  explicit_bounds: number[] | null;
  exp_scale: number | null;
  exp_zero_count: string | null;
  exp_zero_threshold: number | null;
  exp_positive_offset: number | null;
  exp_positive_counts: string[] | null;
  exp_negative_offset: number | null;
  exp_negative_counts: string[] | null;
  quantiles: number[] | null;
  quantile_values: number[] | null;
  exemplars: unknown;
}

async function stored(siteId: string): Promise<StoredPoint[]> {
  const { rows } = await sql<StoredPoint>`
    SELECT s.metric_name, s.type, s.unit, s.temporality, s.monotonic, s.description, s.service_name, s.attributes AS series_attributes,
      rs.resource, p.time_unix_nano, p.start_time_unix_nano, p.flags, p.double_value, p.int_value, p.count, p.sum, p.min, p.max,
      p.bucket_counts, p.explicit_bounds, p.exp_scale, p.exp_zero_count, p.exp_zero_threshold, p.exp_positive_offset,
      p.exp_positive_counts, p.exp_negative_offset, p.exp_negative_counts, p.quantiles, p.quantile_values, p.exemplars
    FROM metric_points p
    JOIN metric_series s ON s.site_id = p.site_id AND s.id = p.series_id AND s.day = date_trunc('day', p.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    JOIN resource_scopes rs ON rs.site_id = s.site_id AND rs.id = s.resource_scope_id AND rs.day = s.day
    WHERE p.site_id = ${siteId} ORDER BY p.time_unix_nano, s.metric_name`.execute(db);
  return rows;
}

t.test('every point type is stored exactly', async (t) => {
  const sink = newSink(t);
  const siteId = newSiteId();
  const resource = resourceWith('api', { 'host.name': 'h1' });
  const rows: MetricPointRow[] = [
    metricPoint(siteId, { metricName: 'g.double', timeUnixNano: at, doubleValue: 0.1 + 0.2, resource, attributes: [attr('cpu', '0')] }),
    metricPoint(siteId, { metricName: 'g.nan', timeUnixNano: at + 1n, doubleValue: NaN, resource }),
    metricPoint(siteId, { metricName: 'g.inf', timeUnixNano: at + 2n, doubleValue: Infinity, resource }),
    metricPoint(siteId, { metricName: 'g.ninf', timeUnixNano: at + 3n, doubleValue: -Infinity, resource }),
    metricPoint(siteId, {
      metricName: 's.int',
      type: 'sum',
      temporality: 2,
      monotonic: true,
      timeUnixNano: at + 4n,
      startTimeUnixNano: at - 1_000_000_000n,
      doubleValue: null,
      intValue: 9223372036854775807n,
      exemplars: [{ filteredAttributes: [attr('user', 'u1')], timeUnixNano: String(at), asInt: '5', spanId: '00f067aa0ba902b7', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }],
    }),
    metricPoint(siteId, { metricName: 's.neg', type: 'sum', temporality: 1, timeUnixNano: at + 5n, doubleValue: null, intValue: -9223372036854775808n }),
    metricPoint(siteId, { metricName: 'gap', timeUnixNano: at + 6n, flags: 1, doubleValue: null }),
    metricPoint(siteId, {
      metricName: 'h',
      type: 'histogram',
      temporality: 2,
      timeUnixNano: at + 7n,
      doubleValue: null,
      count: 9223372036854775807n,
      sum: 12.5,
      min: -1,
      max: 1e308,
      bucketCounts: [1n, 9223372036854775805n, 1n],
      explicitBounds: [0, 2.5],
    }),
    metricPoint(siteId, {
      metricName: 'eh',
      type: 'exponential_histogram',
      temporality: 1,
      timeUnixNano: at + 8n,
      doubleValue: null,
      count: 7n,
      sum: null,
      exponential: { scale: -3, zeroCount: 1n, zeroThreshold: 1e-9, positive: { offset: -2, bucketCounts: [1n, 2n] }, negative: { offset: 5, bucketCounts: [3n] } },
    }),
    metricPoint(siteId, {
      metricName: 'sm',
      type: 'summary',
      timeUnixNano: at + 9n,
      doubleValue: null,
      count: 4n,
      sum: 10,
      quantiles: [
        { quantile: 0, value: 1 },
        { quantile: 0.99, value: NaN },
        { quantile: 1, value: 4 },
      ],
    }),
  ];
  const result = await sink.write({ signal: 'metrics', siteId, rows });
  t.same(result, { rejected: 0, message: '' });
  const points = await stored(siteId);
  t.equal(points.length, rows.length, 'one row per point');
  const byName = new Map(points.map((p) => [p.metric_name, p]));
  t.equal(byName.get('g.double')?.double_value, 0.1 + 0.2, 'a double to the last bit');
  t.same(byName.get('g.double')?.series_attributes, [attr('cpu', '0')]);
  t.same(byName.get('g.double')?.resource, resource);
  t.equal(byName.get('g.double')?.service_name, 'api');
  t.ok(Number.isNaN(byName.get('g.nan')?.double_value), 'NaN');
  t.equal(byName.get('g.inf')?.double_value, Infinity);
  t.equal(byName.get('g.ninf')?.double_value, -Infinity);
  const counter = byName.get('s.int');
  t.match(counter, { type: 'sum', temporality: 2, monotonic: true, int_value: '9223372036854775807', double_value: null });
  t.equal(counter?.start_time_unix_nano, String(at - 1_000_000_000n));
  t.equal(counter?.time_unix_nano, String(at + 4n), 'the time to the nanosecond');
  t.same(counter?.exemplars, rows[4]!.exemplars, 'exemplars as OTLP/JSON');
  t.equal(byName.get('s.neg')?.int_value, '-9223372036854775808');
  t.match(byName.get('gap'), { flags: '1', double_value: null, int_value: null }, 'a gap has no value');
  t.match(byName.get('h'), {
    count: '9223372036854775807',
    sum: 12.5,
    min: -1,
    max: 1e308,
    bucket_counts: ['1', '9223372036854775805', '1'],
    explicit_bounds: [0, 2.5],
  });
  t.match(byName.get('eh'), {
    temporality: 1,
    count: '7',
    sum: null,
    exp_scale: -3,
    exp_zero_count: '1',
    exp_zero_threshold: 1e-9,
    exp_positive_offset: -2,
    exp_positive_counts: ['1', '2'],
    exp_negative_offset: 5,
    exp_negative_counts: ['3'],
  });
  const summary = byName.get('sm');
  t.same(summary?.quantiles, [0, 0.99, 1]);
  t.equal(summary?.quantile_values?.[0], 1);
  t.ok(Number.isNaN(summary?.quantile_values?.[1]));
  t.equal(byName.get('g.nan')?.exemplars, null, 'no exemplars: NULL');
});

t.test('a series is one row per day, whatever order its attributes come in', async (t) => {
  const sink = newSink(t);
  const siteId = newSiteId();
  const rows = [0n, 1n, 2n].map((i) =>
    metricPoint(siteId, { timeUnixNano: at + i * 1_000_000_000n, doubleValue: Number(i), attributes: i === 1n ? [attr('b', '2'), attr('a', '1')] : [attr('a', '1'), attr('b', '2')] }),
  );
  rows.push(metricPoint(siteId, { timeUnixNano: nanosAt('2026-11-22T23:00:00Z'), doubleValue: 9, attributes: [attr('a', '1'), attr('b', '2')] }));
  await sink.write({ signal: 'metrics', siteId, rows: rows.slice(0, 2) });
  await sink.write({ signal: 'metrics', siteId, rows: rows.slice(2) });
  const series = await sql<{ id: Buffer; day: Date }>`SELECT id, day FROM metric_series WHERE site_id = ${siteId} ORDER BY day`.execute(db);
  t.equal(series.rows.length, 2, 'one row on each of the two days');
  t.same(series.rows[0]!.id, series.rows[1]!.id, 'the same id on both days');
  const points = await sql<{ n: string }>`SELECT count(DISTINCT series_id) AS n FROM metric_points WHERE site_id = ${siteId}`.execute(db);
  t.equal(points.rows[0]!.n, '1', 'every point refers to the one series');
  const other = metricSeriesId({ ...rows[0]!, unit: 'ms' }, Buffer.alloc(16));
  t.notSame(other, metricSeriesId(rows[0]!, Buffer.alloc(16)), 'the unit is part of the identity');
  const described: MetricPointRow = { ...rows[0]!, description: 'other' };
  t.same(metricSeriesId(described, Buffer.alloc(16)), metricSeriesId(rows[0]!, Buffer.alloc(16)), 'the description is not');
});

t.test('metrics and spans of one resource share its resource_scopes row', async (t) => {
  const sink = newSink(t);
  const siteId = newSiteId();
  const resource = resourceWith('shared');
  const scope = { name: 'test-meter', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };
  await sink.write({ signal: 'traces', siteId, rows: [makeSpanRow({ siteId, startTimeUnixNano: at, resource, scope, serviceName: 'shared' })] });
  await sink.write({ signal: 'metrics', siteId, rows: [metricPoint(siteId, { timeUnixNano: at, resource, scope })] });
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM resource_scopes WHERE site_id = ${siteId}`.execute(db);
  t.equal(rows[0]!.n, '1');
});

t.test('points outside the metrics retention window, or with counts beyond int64, are rejected', async (t) => {
  const sink = newSink(t, { retentionDays: 30, signalRetentionDays: { metrics: 2 } });
  const siteId = newSiteId();
  const rows = [
    metricPoint(siteId, { timeUnixNano: nanosAt('2026-11-21T00:00:00Z'), doubleValue: 1 }),
    metricPoint(siteId, { timeUnixNano: nanosAt('2026-11-20T23:59:59Z'), doubleValue: 2 }),
    metricPoint(siteId, { timeUnixNano: nanosAt('2026-11-25T00:00:00Z'), doubleValue: 3 }),
    metricPoint(siteId, { timeUnixNano: at, type: 'histogram', count: 2n ** 63n, bucketCounts: [2n ** 63n], explicitBounds: [], doubleValue: null }),
  ];
  const result = await sink.write({ signal: 'metrics', siteId, rows });
  t.equal(result.rejected, 3);
  t.match(result.message, /rejected 2 metric data points dated outside the stored days 2026-11-21 to 2026-11-24 \(UTC\)/);
  t.match(result.message, /rejected 1 metric data point with a count or time of 2\^63 or more/);
  const { rows: kept } = await sql<{ double_value: number }>`SELECT double_value FROM metric_points WHERE site_id = ${siteId}`.execute(db);
  t.same(kept, [{ double_value: 1 }]);
  t.same(admitMetricPoints([], { firstDay: 0, lastDay: 1 }), { accepted: [], rejected: 0, message: '' });
});

// Covers decoding OTLP metrics requests (signals/metrics/) into
// MetricPointRows, from protobuf and OTLP/JSON alike: all five types, every
// field of each (series identity, times, flags, values as sent, histogram
// buckets and bounds, exponential buckets, summary quantiles), exemplars
// with trace and span IDs, NO_RECORDED_VALUE as a gap (no value, not a zero),
// NaN and ±Infinity (spelled as strings in OTLP/JSON), int64 values and
// uint64 counts beyond 2^53 exact, service.name promoted, strings sanitised;
// the points refused through partial_success (buckets not matching bounds,
// bounds not increasing, time 0, a metric without a name or data, an unknown
// temporality, counts past 2^63, bad exemplar IDs, attribute values too deep
// or too many, in the point, its resource or scope) while the rest are kept;
// and, over OTLP/HTTP in both encodings (identity, gzip, deflate, zstd) and
// OTLP/gRPC, partial_success answered, bad input refused with 400 /
// INVALID_ARGUMENT and a message, requests over the element limit refused
// before decoding.
import { Client, credentials, Metadata, status as GrpcCode } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { ExportMetricsServiceResponse, RpcStatus } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { DEFAULT_DECODE_LIMITS } from '../src/decode/decode-limits.ts';
import type { DecodeLimits } from '../src/decode/decode-limits.ts';
import type { DecodedRows } from '../src/decode/decoded-rows.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { decodeMetricRows } from '../src/signals/metrics/decode-metrics-request.ts';
import type { MetricPointRow } from '../src/signals/metrics/metric-point-row.ts';
import { createCollector } from '../src/receivers/collector.ts';
import { otlpSignals } from '../src/signals/index.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, keys, SITE_ID, silentLogger } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';
import {
  jsonExponentialPoint,
  jsonHistogramPoint,
  jsonMetric,
  jsonMetricsRequest,
  jsonNumberPoint,
  jsonSummaryPoint,
  protobufMetricsRequest,
  SPAN_ID_HEX,
  TRACE_ID_HEX,
} from './helpers/metric-fixtures.ts';

const R = '\uFFFD';

function limits(given: Partial<DecodeLimits> = {}): DecodeLimits {
  return { ...DEFAULT_DECODE_LIMITS, ...given };
}

/** The request decoded from protobuf and from OTLP/JSON. */
function decodeBoth(request: JsonObject, given: Partial<DecodeLimits> = {}): [string, DecodedRows<MetricPointRow>][] {
  return [
    ['protobuf', decodeMetricRows(protobufMetricsRequest(request), 'protobuf', SITE_ID, limits(given))],
    ['json', decodeMetricRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID, limits(given))],
  ];
}

function onlyRow(t: Test, decoded: DecodedRows<MetricPointRow>): MetricPointRow {
  t.equal(decoded.rows.length, 1, 'one row');
  return decoded.rows[0] as MetricPointRow;
}

const RESOURCE = { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 };
const SCOPE = { name: 'test-meter', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };

/** The row every metric of jsonMetricsRequest starts from: the values are the test's. */
function baseRow(overrides: Partial<MetricPointRow>): MetricPointRow {
  return {
    siteId: SITE_ID,
    metricName: 'm',
    description: 'm described',
    unit: 'ms',
    type: 'gauge',
    temporality: 0,
    monotonic: false,
    attributes: [],
    startTimeUnixNano: 1700000000000000000n,
    timeUnixNano: 1700000060123456789n,
    flags: 0,
    doubleValue: null,
    intValue: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    bucketCounts: null,
    explicitBounds: null,
    exponential: null,
    quantiles: null,
    exemplars: [],
    serviceName: 'checkout',
    resource: RESOURCE,
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: SCOPE,
    scopeSchemaUrl: 'https://example.com/scope',
    ...overrides,
  };
}

t.test('all five types, every field, from protobuf and OTLP/JSON alike', async (t) => {
  const request = jsonMetricsRequest([
    jsonMetric('cpu', { gauge: { dataPoints: [jsonNumberPoint()] } }, { description: 'CPU share', unit: '1' }),
    jsonMetric('requests', { sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [jsonNumberPoint({ asDouble: undefined, asInt: '42' })] } }),
    jsonMetric('queue', { sum: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA', dataPoints: [jsonNumberPoint({ asDouble: -1.5 })] } }),
    jsonMetric('duration', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint()] } }),
    jsonMetric('latency', { exponentialHistogram: { aggregationTemporality: 2, dataPoints: [jsonExponentialPoint()] } }),
    jsonMetric('legacy', { summary: { dataPoints: [jsonSummaryPoint()] } }),
  ]);
  const host = [{ key: 'host', value: { stringValue: 'a' } }];
  const expected: MetricPointRow[] = [
    baseRow({ metricName: 'cpu', description: 'CPU share', unit: '1', attributes: host, doubleValue: 0.5 }),
    baseRow({ metricName: 'requests', description: 'requests described', type: 'sum', temporality: 2, monotonic: true, attributes: host, intValue: 42n }),
    baseRow({ metricName: 'queue', description: 'queue described', type: 'sum', temporality: 1, attributes: host, doubleValue: -1.5 }),
    baseRow({
      metricName: 'duration',
      description: 'duration described',
      type: 'histogram',
      temporality: 1,
      attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }],
      count: 10n,
      sum: 123.5,
      min: 0.25,
      max: 99,
      bucketCounts: [1n, 2n, 3n, 4n],
      explicitBounds: [5, 10, 25.5],
    }),
    baseRow({
      metricName: 'latency',
      description: 'latency described',
      type: 'exponential_histogram',
      temporality: 2,
      count: 9n,
      sum: 12.5,
      min: -4,
      max: 4.5,
      exponential: { scale: -3, zeroCount: 2n, zeroThreshold: 1e-9, positive: { offset: -2, bucketCounts: [1n, 0n, 3n] }, negative: { offset: 5, bucketCounts: [3n] } },
    }),
    baseRow({
      metricName: 'legacy',
      description: 'legacy described',
      type: 'summary',
      count: 4n,
      sum: 10,
      quantiles: [
        { quantile: 0, value: 1 },
        { quantile: 0.5, value: 2.5 },
        { quantile: 1, value: 4 },
      ],
    }),
  ];
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.same(decoded.message, '', encoding);
    t.equal(decoded.rejected, 0);
    t.strictSame(decoded.rows, expected, `${encoding}: exactly`);
  }
});

t.test('optional and absent fields: no start time, no sum/min/max, empty buckets, no bucket ranges, neither value', async (t) => {
  const request = jsonMetricsRequest([
    jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ startTimeUnixNano: undefined, asDouble: undefined })] } }),
    jsonMetric('h', { histogram: { aggregationTemporality: 2, dataPoints: [jsonHistogramPoint({ sum: undefined, min: undefined, max: undefined, bucketCounts: [], explicitBounds: [] })] } }),
    jsonMetric('e', { exponentialHistogram: { aggregationTemporality: 2, dataPoints: [jsonExponentialPoint({ positive: undefined, negative: undefined, sum: undefined, min: undefined, max: undefined, zeroThreshold: undefined })] } }),
  ]);
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.equal(decoded.rejected, 0, encoding);
    const [gauge, histogram, exponential] = decoded.rows as [MetricPointRow, MetricPointRow, MetricPointRow];
    t.equal(gauge.startTimeUnixNano, 0n, 'no start time is 0n');
    t.same([gauge.doubleValue, gauge.intValue], [null, null], 'neither value set');
    t.same([histogram.count, histogram.sum, histogram.min, histogram.max, histogram.bucketCounts, histogram.explicitBounds], [10n, null, null, null, [], []], 'a histogram of only a count');
    t.same(exponential.exponential, { scale: -3, zeroCount: 2n, zeroThreshold: 0, positive: { offset: 0, bucketCounts: [] }, negative: { offset: 0, bucketCounts: [] } });
    t.same([exponential.sum, exponential.min, exponential.max], [null, null, null]);
  }
});

t.test('exemplars with trace and span IDs, int and double values', async (t) => {
  const exemplars = [
    { filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], timeUnixNano: '1700000059000000001', asDouble: 7.25, traceId: TRACE_ID_HEX, spanId: SPAN_ID_HEX },
    { timeUnixNano: '1700000059000000002', asInt: '9007199254740993' },
    { timeUnixNano: '1700000059000000003', asDouble: 'NaN' },
    { timeUnixNano: '1700000059000000004' },
  ];
  const request = jsonMetricsRequest([
    jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ exemplars })] } }),
    jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ exemplars: [exemplars[0]] })] } }),
  ]);
  const expected = [
    { filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], timeUnixNano: '1700000059000000001', spanId: SPAN_ID_HEX, traceId: TRACE_ID_HEX, asDouble: 7.25 },
    { filteredAttributes: [], timeUnixNano: '1700000059000000002', spanId: '', traceId: '', asInt: '9007199254740993' },
    { filteredAttributes: [], timeUnixNano: '1700000059000000003', spanId: '', traceId: '', asDouble: 'NaN' },
    { filteredAttributes: [], timeUnixNano: '1700000059000000004', spanId: '', traceId: '' },
  ];
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.equal(decoded.rejected, 0, encoding);
    t.strictSame(decoded.rows[0]?.exemplars, expected, `${encoding}: histogram exemplars`);
    t.strictSame(decoded.rows[1]?.exemplars, [expected[0]], `${encoding}: gauge exemplar`);
  }
});

t.test('NO_RECORDED_VALUE: a gap, every value null, whatever was sent', async (t) => {
  const request = jsonMetricsRequest([
    jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ flags: 1, asDouble: 0 })] } }),
    jsonMetric('s', { sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [jsonNumberPoint({ flags: 1, asDouble: undefined, asInt: '0' })] } }),
    // Buckets that would be refused: a gap carries no histogram to check.
    jsonMetric('h', { histogram: { aggregationTemporality: 2, dataPoints: [jsonHistogramPoint({ flags: 1, bucketCounts: ['1'] })] } }),
    jsonMetric('e', { exponentialHistogram: { aggregationTemporality: 2, dataPoints: [jsonExponentialPoint({ flags: 1 })] } }),
    jsonMetric('q', { summary: { dataPoints: [jsonSummaryPoint({ flags: 1 })] } }),
  ]);
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.equal(decoded.rejected, 0, encoding);
    t.equal(decoded.rows.length, 5);
    for (const row of decoded.rows) {
      t.equal(row.flags, 1, `${encoding} ${row.type}: the flag kept`);
      const values = [row.doubleValue, row.intValue, row.count, row.sum, row.min, row.max, row.bucketCounts, row.explicitBounds, row.exponential, row.quantiles];
      t.ok(values.every((value) => value === null), `${encoding} ${row.type}: no value`);
      t.equal(row.timeUnixNano, 1700000060123456789n, 'the time is kept');
    }
  }
});

t.test('NaN and ±Infinity kept as numbers, spelled as strings in OTLP/JSON', async (t) => {
  const request = jsonMetricsRequest([
    jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ asDouble: 'NaN' }), jsonNumberPoint({ asDouble: 'Infinity' }), jsonNumberPoint({ asDouble: '-Infinity' })] } }),
    jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ sum: 'NaN', min: '-Infinity', max: 'Infinity' })] } }),
    jsonMetric('q', { summary: { dataPoints: [jsonSummaryPoint({ sum: 'Infinity', quantileValues: [{ quantile: 0.5, value: 'NaN' }] })] } }),
  ]);
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.equal(decoded.rejected, 0, encoding);
    const [nan, inf, negInf, histogram, summary] = decoded.rows as MetricPointRow[] as [MetricPointRow, MetricPointRow, MetricPointRow, MetricPointRow, MetricPointRow];
    t.ok(Number.isNaN(nan.doubleValue), `${encoding}: NaN`);
    t.equal(inf.doubleValue, Infinity);
    t.equal(negInf.doubleValue, -Infinity);
    t.ok(Number.isNaN(histogram.sum));
    t.same([histogram.min, histogram.max], [-Infinity, Infinity]);
    t.equal(summary.sum, Infinity);
    t.ok(Number.isNaN(summary.quantiles?.[0]?.value));
  }
});

t.test('int64 values and uint64 counts beyond 2^53, exact', async (t) => {
  const request = jsonMetricsRequest([
    jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ asDouble: undefined, asInt: '9223372036854775807' }), jsonNumberPoint({ asDouble: undefined, asInt: '-9223372036854775808' }), jsonNumberPoint({ asDouble: undefined, asInt: '9007199254740993' })] } }),
    jsonMetric('h', { histogram: { aggregationTemporality: 2, dataPoints: [jsonHistogramPoint({ count: '9223372036854775807', bucketCounts: ['9007199254740993', '0', '0', '9223372036854775806'] })] } }),
  ]);
  for (const [encoding, decoded] of decodeBoth(request)) {
    t.same(decoded.rows.map((row) => row.intValue).slice(0, 3), [2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n], `${encoding}: int values`);
    t.equal(decoded.rows[3]?.count, 2n ** 63n - 1n);
    t.same(decoded.rows[3]?.bucketCounts, [9007199254740993n, 0n, 0n, 2n ** 63n - 2n]);
  }
  // OTLP/JSON may write int64 as bare numbers: digits past 2^53 are not rounded.
  const text = JSON.stringify(jsonMetricsRequest([jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ asDouble: undefined, asInt: 'AS_INT', timeUnixNano: 'TIME' })] } })]))
    .replace('"AS_INT"', '9007199254740993')
    .replace('"TIME"', '1700000060123456789');
  const row = onlyRow(t, decodeMetricRows(Buffer.from(text), 'json', SITE_ID));
  t.equal(row.intValue, 9007199254740993n);
  t.equal(row.timeUnixNano, 1700000060123456789n);
});

t.test('service.name promoted, a resource without one, strings sanitised', async (t) => {
  const request = jsonMetricsRequest([jsonMetric(`bad\u0000name\uD800`, { gauge: { dataPoints: [jsonNumberPoint({ attributes: [{ key: 'k\u0000', value: { stringValue: 'v\uDC00' } }] })] } }, { unit: 'u\u0000' })], []);
  for (const [encoding, decoded] of decodeBoth(request)) {
    const row = onlyRow(t, decoded);
    t.equal(row.serviceName, 'unknown_service', encoding);
    // A lone surrogate is one U+FFFD from OTLP/JSON, and whatever protobufjs' UTF-8 decoder makes of it from protobuf: always storable.
    t.match(row.metricName, new RegExp(`^bad${R}name${R}+$`));
    t.equal(row.unit, `u${R}`);
    t.equal(row.attributes[0]?.key, `k${R}`);
    t.ok([row.metricName, JSON.stringify(row.attributes)].every((text) => text.isWellFormed() && !text.includes('\u0000')), 'nothing PostgreSQL refuses');
  }
});

t.test('points that cannot be stored are refused with their reason; the rest are kept', async (t) => {
  const deep = { arrayValue: { values: [{ arrayValue: { values: [{ stringValue: 'x' }] } }] } };
  const cases: [string, JsonObject, number, RegExp][] = [
    ['buckets not matching bounds', jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ bucketCounts: ['1', '2', '3'] })] } }), 1, /bucket_counts must number one more than explicit_bounds/],
    ['buckets without bounds', jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ bucketCounts: ['1', '2'], explicitBounds: [] })] } }), 1, /bucket_counts must number/],
    ['bounds not increasing', jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ explicitBounds: [5, 5, 6] })] } }), 1, /explicit_bounds must be strictly increasing/],
    ['a NaN bound', jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ explicitBounds: [1, 'NaN', 6] })] } }), 1, /strictly increasing/],
    ['time 0', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ timeUnixNano: '0' }), jsonNumberPoint({ timeUnixNano: undefined })] } }), 2, /invalid time_unix_nano/],
    ['time past 2^63', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ timeUnixNano: '9223372036854775808' })] } }), 1, /invalid time_unix_nano/],
    ['start time past 2^63', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ startTimeUnixNano: '18446744073709551615' })] } }), 1, /invalid start_time_unix_nano/],
    ['no name', jsonMetric('', { gauge: { dataPoints: [jsonNumberPoint(), jsonNumberPoint()] } }), 2, /metric without a name/],
    ['no name and no points', jsonMetric('', { gauge: {} }), 1, /metric without a name/],
    ['no data', jsonMetric('nothing', {}), 1, /metric without data/],
    ['an unknown temporality', jsonMetric('s', { sum: { aggregationTemporality: 7, dataPoints: [jsonNumberPoint()] } }), 1, /invalid aggregation_temporality/],
    ['a count past 2^63', jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ count: '18446744073709551615' })] } }), 1, /invalid count/],
    ['a bucket count past 2^63', jsonMetric('e', { exponentialHistogram: { aggregationTemporality: 1, dataPoints: [jsonExponentialPoint({ positive: { offset: 0, bucketCounts: ['9223372036854775808'] } })] } }), 1, /invalid count/],
    ['a zero count past 2^63', jsonMetric('e', { exponentialHistogram: { aggregationTemporality: 1, dataPoints: [jsonExponentialPoint({ zeroCount: '9223372036854775808' })] } }), 1, /invalid count/],
    ['an exemplar trace ID of 3 bytes', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ exemplars: [{ timeUnixNano: '1', traceId: 'abcdef' }] })] } }), 1, /invalid exemplar trace_id/],
    ['an exemplar span ID of 2 bytes', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ exemplars: [{ timeUnixNano: '1', spanId: 'abcd' }] })] } }), 1, /invalid exemplar span_id/],
    ['an attribute value too deep', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ attributes: [{ key: 'deep', value: deep }] })] } }), 1, /nested more than 2 levels/],
    ['an exemplar attribute too deep', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ exemplars: [{ timeUnixNano: '1', filteredAttributes: [{ key: 'deep', value: deep }] }] })] } }), 1, /exemplar attribute value nested/],
    ['too many items in a value', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ attributes: [{ key: 'long', value: { arrayValue: { values: [{}, {}, {}, {}] } } }] })] } }), 1, /more than 3 array items/],
    ['too many attributes', jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint({ attributes: [1, 2, 3, 4, 5].map((i) => ({ key: `k${i}`, value: { intValue: String(i) } })) })] } }), 1, /more than 4 attributes/],
  ];
  const kept = jsonMetric('kept', { gauge: { dataPoints: [jsonNumberPoint()] } });
  for (const [name, metric, rejected, reason] of cases) {
    for (const [encoding, decoded] of decodeBoth(jsonMetricsRequest([metric, kept]), { maxValueDepth: 2, maxValueItems: 3, maxAttributes: 4 })) {
      t.equal(decoded.rejected, rejected, `${name} (${encoding}): ${rejected} refused`);
      t.match(decoded.message, reason, `${name} (${encoding}): the reason`);
      t.match(decoded.message, new RegExp(`^${rejected} data points? rejected: `));
      t.same(decoded.rows.map((row) => row.metricName), ['kept'], `${name} (${encoding}): the rest kept`);
    }
  }
});

t.test('a value past the limits in a resource or scope refuses every point under it', async (t) => {
  const deep = [{ key: 'deep', value: { arrayValue: { values: [{ arrayValue: { values: [] } }] } } }];
  const points = jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint(), jsonNumberPoint()] } });
  const badResource = jsonMetricsRequest([points, jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint()] } })], deep);
  const goodResource = jsonMetricsRequest([jsonMetric('kept', { gauge: { dataPoints: [jsonNumberPoint()] } })]);
  const request = { resourceMetrics: [...(badResource.resourceMetrics as JsonObject[]), ...(goodResource.resourceMetrics as JsonObject[])] };
  for (const [encoding, decoded] of decodeBoth(request, { maxValueDepth: 1 })) {
    t.equal(decoded.rejected, 3, encoding);
    t.match(decoded.message, /^3 data points rejected: resource attribute value nested more than 1 levels deep/);
    t.same(decoded.rows.map((row) => row.metricName), ['kept']);
  }
  const scoped = jsonMetricsRequest([points]);
  ((scoped.resourceMetrics as JsonObject[])[0]?.scopeMetrics as JsonObject[])[0]!.scope = { name: 's', attributes: deep };
  for (const [encoding, decoded] of decodeBoth(scoped, { maxValueDepth: 1 })) {
    t.equal(decoded.rejected, 2, encoding);
    t.match(decoded.message, /scope attribute value nested/);
  }
});

t.test('bad bodies are refused whole with MalformedRequestError', async (t) => {
  const bad: [string, Buffer, 'protobuf' | 'json', RegExp][] = [
    ['not JSON', Buffer.from('{"resourceMetrics": ['), 'json', /not valid JSON/],
    ['a JSON array', Buffer.from('[]'), 'json', /must be a JSON object/],
    ['bucketCounts not a list', Buffer.from(JSON.stringify(jsonMetricsRequest([jsonMetric('h', { histogram: { dataPoints: [{ timeUnixNano: '1', bucketCounts: 'many' }] } })]))), 'json', /not a valid OTLP\/JSON ExportMetricsServiceRequest/],
    ['truncated protobuf', protobufMetricsRequest(jsonMetricsRequest([jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint()] } })])).subarray(0, 30), 'protobuf', /not a valid protobuf ExportMetricsServiceRequest/],
  ];
  for (const [name, body, encoding, message] of bad) {
    t.throws(() => decodeMetricRows(body, encoding, SITE_ID), MalformedRequestError, name);
    t.throws(() => decodeMetricRows(body, encoding, SITE_ID), { message }, name);
  }
  // Bucket counts and bounds are elements one by one: 10 bounds and 11 counts are 21 more.
  const histogram = jsonMetricsRequest([jsonMetric('h', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ attributes: [], bucketCounts: Array(11).fill('1'), explicitBounds: Array.from({ length: 10 }, (_, i) => i) })] } })]);
  // resourceMetrics, its service.name, scopeMetrics, the metric and its point: 5.
  for (const [encoding, body] of [['protobuf', protobufMetricsRequest(histogram)], ['json', Buffer.from(JSON.stringify(histogram))]] as const) {
    t.equal(decodeMetricRows(body, encoding, SITE_ID, limits({ maxRequestElements: 26 })).rows.length, 1, `${encoding}: 26 elements pass`);
    t.throws(() => decodeMetricRows(body, encoding, SITE_ID, limits({ maxRequestElements: 25 })), { name: 'MalformedRequestError', message: /more than 25 elements/ }, `${encoding}: 25 do not`);
  }
});

t.test('over OTLP/HTTP: partial_success, the rest stored, bad input 400 with a message', async (t) => {
  t.ok(otlpSignals.some((signal) => signal.signal === 'metrics'), 'metrics are served by default');
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const post = (payload: Buffer | string, contentType: string, encoding?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/metrics',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType, ...(encoding === undefined ? {} : { 'content-encoding': encoding }) },
      payload,
    });
  const request = jsonMetricsRequest([
    jsonMetric('mismatched', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ bucketCounts: ['1'] })] } }),
    jsonMetric('stored', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint()] } }),
  ]);
  const errorMessage = '1 data point rejected: histogram bucket_counts must number one more than explicit_bounds (or both be empty)';

  const json = await post(JSON.stringify(request), 'application/json');
  t.equal(json.statusCode, 200);
  t.same(json.json(), { partialSuccess: { rejectedDataPoints: '1', errorMessage } });

  const { gzipSync, deflateSync, zstdCompressSync } = await import('node:zlib');
  for (const [name, compress] of [['identity', (b: Buffer) => b], ['gzip', gzipSync], ['deflate', deflateSync], ['zstd', zstdCompressSync]] as const) {
    const response = await post(compress(protobufMetricsRequest(request)), 'application/x-protobuf', name === 'identity' ? undefined : name);
    t.equal(response.statusCode, 200, name);
    t.same(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(response.rawPayload), { longs: String }), { partialSuccess: { rejectedDataPoints: '1', errorMessage } }, `protobuf, ${name}`);
  }

  const full = await post(JSON.stringify(jsonMetricsRequest([jsonMetric('g', { gauge: { dataPoints: [jsonNumberPoint()] } })])), 'application/json');
  t.equal(full.body, '{}', 'partial_success unset on full success');

  t.same(sink.rows('metrics').map((row) => row.metricName), ['stored', 'stored', 'stored', 'stored', 'stored', 'g']);
  t.ok(sink.batches.every((batch) => batch.signal === 'metrics' && batch.siteId === SITE_ID));

  const bad = await post('{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "h", "histogram": {"dataPoints": [{"bucketCounts": "x"}]}}]}]}]}', 'application/json');
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { message: /not a valid OTLP\/JSON ExportMetricsServiceRequest/ });
  const garbage = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf');
  t.equal(garbage.statusCode, 400);
  // A protobuf request is answered with a protobuf google.rpc.Status.
  t.match(RpcStatus.decode(garbage.rawPayload), { message: /not a valid protobuf ExportMetricsServiceRequest/ });
  t.equal(sink.rows('metrics').length, 6, 'nothing more written');
});

t.test('over OTLP/gRPC: MetricsService/Export answers partial_success, refuses bad input', async (t) => {
  const sink = new MemorySink();
  const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
  const { grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  t.teardown(() => client.close());
  const identity = (buffer: Buffer): Buffer => buffer;
  const call = (body: Buffer): Promise<{ error: ServiceError | null; response?: Buffer }> =>
    new Promise((resolve) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${INGEST_KEY}`);
      client.makeUnaryRequest('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', identity, identity, body, metadata, (error, response) => resolve({ error, response }));
    });
  const request = jsonMetricsRequest([
    jsonMetric('bad-bounds', { histogram: { aggregationTemporality: 1, dataPoints: [jsonHistogramPoint({ explicitBounds: [10, 5, 25] })] } }),
    jsonMetric('stored', { summary: { dataPoints: [jsonSummaryPoint()] } }),
  ]);
  const { error, response } = await call(protobufMetricsRequest(request));
  t.equal(error, null);
  t.same(ExportMetricsServiceResponse.toObject(ExportMetricsServiceResponse.decode(response ?? Buffer.alloc(0)), { longs: String }), {
    partialSuccess: { rejectedDataPoints: '1', errorMessage: '1 data point rejected: histogram explicit_bounds must be strictly increasing' },
  });
  t.same(sink.rows('metrics').map((row) => [row.metricName, row.type, row.count]), [['stored', 'summary', 4n]]);
  const bad = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  t.equal(bad.error?.code, GrpcCode.INVALID_ARGUMENT);
  t.match(bad.error?.details, /not a valid protobuf ExportMetricsServiceRequest/);
});

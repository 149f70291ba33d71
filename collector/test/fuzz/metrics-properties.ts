// The fuzz properties of the metrics decoder (decodeMetricRows) with random requests of
// every type, valid or not (empty names, no data, unknown temporalities,
// time 0, counts and times up to 2^64-1, buckets that do or do not match
// their bounds, NaN and ±Infinity, exemplars with IDs of any length, gaps):
// protobuf and OTLP/JSON decode to the same rows; every point is either a
// row or counted as rejected; every row is storable (times and counts below
// 2^63, a time above 0, a histogram's buckets one more than its strictly
// increasing bounds, exactly its type's values set, none for a gap, strings
// well formed); the scan counts the same elements in both encodings. Then
// the same requests damaged: protobuf bytes flipped, cut or spliced (the
// scan refuses exactly what protobufjs refuses), OTLP/JSON values replaced by
// any JSON; never anything but rows or MalformedRequestError. A few hundred
// runs per property in metrics-fuzz.test.ts, FUZZ_RUNS each in `npm run fuzz`;
// a failure prints its replay.
import fc from 'fast-check';
import { MalformedRequestError } from '../../src/decode/malformed-request-error.ts';
import type { DecodedRows } from '../../src/decode/decoded-rows.ts';
import { decodeMetricRows, decodeMetricsProtobuf, scanMetricsRequest } from '../../src/signals/metrics/decode-metrics-request.ts';
import type { MetricPointRow } from '../../src/signals/metrics/metric-point-row.ts';
import { fuzzProperty, type FuzzProperty } from './fuzz-settings.ts';
import type { JsonObject } from '../helpers/fixtures.ts';
import { jsonMetricsRequest, protobufMetricsRequest } from '../helpers/metric-fixtures.ts';

const INT64_LIMIT = 2n ** 63n;
const text = fc.string({ unit: 'grapheme', maxLength: 6 });
const uint64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 53n + 1n, INT64_LIMIT - 1n, INT64_LIMIT, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(String);
const int64 = fc.bigInt({ min: -INT64_LIMIT, max: INT64_LIMIT - 1n }).map(String);
// JSON cannot tell -0 from 0; proto3 JSON spells the non-finite doubles as strings.
const double = fc.double().map((value): number | string => (Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : Object.is(value, -0) ? 0 : value));
const time = fc.oneof({ weight: 4, arbitrary: fc.constant('1700000000000000000') }, { weight: 1, arbitrary: uint64 });
const hex = fc.integer({ min: 0, max: 17 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })).map((bytes) => Buffer.from(bytes).toString('hex'));
const attributes = fc.array(
  fc.record({ key: text, value: fc.oneof(fc.record({ stringValue: text }), fc.record({ intValue: int64 }), fc.record({ doubleValue: double }), fc.record({ boolValue: fc.boolean() })) }),
  { maxLength: 3 },
);
const flags = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff_ffff }) });
const exemplar = fc.record(
  { filteredAttributes: attributes, timeUnixNano: time, asDouble: double, traceId: hex, spanId: hex },
  { requiredKeys: ['timeUnixNano'] },
);
const common = { attributes, startTimeUnixNano: time, timeUnixNano: time, flags };
const optional = { requiredKeys: ['timeUnixNano'] as ['timeUnixNano'] };
const numberPoint = fc.oneof(
  fc.record({ ...common, asDouble: double, exemplars: fc.array(exemplar, { maxLength: 2 }) }, optional),
  fc.record({ ...common, asInt: int64, exemplars: fc.array(exemplar, { maxLength: 2 }) }, optional),
);
const bounds = fc.oneof(fc.array(double, { maxLength: 4 }), fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { maxLength: 4 }).map((values) => [...new Set(values)].sort((a, b) => a - b)));
const histogramPoint = fc.record(
  { ...common, count: uint64, sum: double, min: double, max: double, bucketCounts: fc.array(uint64, { maxLength: 5 }), explicitBounds: bounds, exemplars: fc.array(exemplar, { maxLength: 2 }) },
  optional,
);
const buckets = fc.record({ offset: fc.integer({ min: -1000, max: 1000 }), bucketCounts: fc.array(uint64, { maxLength: 4 }) }, { requiredKeys: [] });
const exponentialPoint = fc.record(
  { ...common, count: uint64, sum: double, scale: fc.integer({ min: -10, max: 20 }), zeroCount: uint64, zeroThreshold: double, positive: buckets, negative: buckets, min: double, max: double },
  optional,
);
const summaryPoint = fc.record({ ...common, count: uint64, sum: double, quantileValues: fc.array(fc.record({ quantile: double, value: double }), { maxLength: 3 }) }, optional);
const temporality = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.integer({ min: 3, max: 100 }) });
const points = <T>(point: fc.Arbitrary<T>) => fc.array(point, { maxLength: 3 });
const data = fc.oneof(
  fc.record({ gauge: fc.record({ dataPoints: points(numberPoint) }) }),
  fc.record({ sum: fc.record({ dataPoints: points(numberPoint), aggregationTemporality: temporality, isMonotonic: fc.boolean() }) }),
  fc.record({ histogram: fc.record({ dataPoints: points(histogramPoint), aggregationTemporality: temporality }) }),
  fc.record({ exponentialHistogram: fc.record({ dataPoints: points(exponentialPoint), aggregationTemporality: temporality }) }),
  fc.record({ summary: fc.record({ dataPoints: points(summaryPoint) }) }),
  fc.constant({}),
);
const metric = fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) }, { weight: 1, arbitrary: fc.constant('') }), text, text, data).map(
  ([name, description, unit, members]): JsonObject => ({ name, description, unit, ...members }),
);
const request = fc.array(metric, { maxLength: 4 }).map((metrics) => jsonMetricsRequest(metrics));

/** Points the request holds, plus one for each metric refused whole without any (as the decoder counts them). */
function expectedItems(body: JsonObject): number {
  let items = 0;
  for (const resourceMetrics of body.resourceMetrics as JsonObject[]) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics as JsonObject[]) {
      for (const metric of scopeMetrics.metrics as JsonObject[]) {
        const member = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].find((name) => name in metric);
        const inner = member === undefined ? undefined : (metric[member] as { dataPoints: unknown[]; aggregationTemporality?: number });
        const count = inner?.dataPoints.length ?? 0;
        const temporality = inner?.aggregationTemporality ?? 0;
        const refusedWhole = metric.name === '' || member === undefined || temporality > 2;
        items += refusedWhole ? Math.max(1, count) : count;
      }
    }
  }
  return items;
}

/** Rows in a form that compares NaN, ±Infinity and bigints exactly. */
function canonical(rows: readonly MetricPointRow[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  });
}

/** Why a row could not be stored, or null. */
function rowProblem(row: MetricPointRow): string | null {
  if (row.timeUnixNano <= 0n || row.timeUnixNano >= INT64_LIMIT) return 'time';
  if (row.startTimeUnixNano < 0n || row.startTimeUnixNano >= INT64_LIMIT) return 'start time';
  const counts = [row.count, ...(row.bucketCounts ?? []), row.exponential?.zeroCount, ...(row.exponential?.positive.bucketCounts ?? []), ...(row.exponential?.negative.bucketCounts ?? [])];
  if (counts.some((count) => typeof count === 'bigint' && (count < 0n || count >= INT64_LIMIT))) return 'a count';
  if (![0, 1, 2].includes(row.temporality)) return 'temporality';
  if (!canonical([row]).isWellFormed() || canonical([row]).includes('\\u0000')) return 'a string';
  const set = {
    number: row.doubleValue !== null || row.intValue !== null,
    count: row.count !== null,
    buckets: row.bucketCounts !== null || row.explicitBounds !== null,
    exponential: row.exponential !== null,
    quantiles: row.quantiles !== null,
  };
  if ((row.flags & 1) === 1) return Object.values(set).some(Boolean) || row.sum !== null || row.min !== null || row.max !== null ? 'a value in a gap' : null;
  const only = (...members: (keyof typeof set)[]) => Object.entries(set).every(([member, isSet]) => !isSet || members.includes(member as keyof typeof set));
  switch (row.type) {
    case 'gauge':
    case 'sum':
      return only('number') ? null : 'values of another type';
    case 'histogram': {
      const bucketCounts = row.bucketCounts ?? [];
      const explicitBounds = row.explicitBounds ?? [];
      if (!set.count || !set.buckets || !only('count', 'buckets')) return 'histogram values';
      if (bucketCounts.length !== explicitBounds.length + 1 && bucketCounts.length + explicitBounds.length !== 0) return 'buckets and bounds';
      return explicitBounds.every((bound, i) => i === 0 || bound > (explicitBounds[i - 1] as number)) ? null : 'bounds not increasing';
    }
    case 'exponential_histogram':
      return set.count && set.exponential && only('count', 'exponential') ? null : 'exponential values';
    case 'summary':
      return set.count && set.quantiles && only('count', 'quantiles') ? null : 'summary values';
  }
}

function decodeOrError(body: Buffer, encoding: 'protobuf' | 'json'): DecodedRows<MetricPointRow> | MalformedRequestError {
  try {
    return decodeMetricRows(body, encoding, 'site');
  } catch (error) {
    if (error instanceof MalformedRequestError) return error;
    throw new Error(`decoding threw an undocumented error: ${String(error)}`, { cause: error });
  }
}

function checkRows(decoded: DecodedRows<MetricPointRow>): void {
  for (const row of decoded.rows) {
    const problem = rowProblem(row);
    if (problem !== null) throw new Error(`an unstorable row (${problem}): ${canonical([row])}`);
  }
  if ((decoded.rejected > 0) !== (decoded.message !== '')) throw new Error(`rejected ${decoded.rejected} with message "${decoded.message}"`);
}

const valid = fuzzProperty(
  'metrics, random requests: the same rows from protobuf and OTLP/JSON, each point a row or a rejection, every row storable',
  300,
  fc.property(request, (body) => {
    const protobuf = protobufMetricsRequest(body);
    const json = Buffer.from(JSON.stringify(body));
    const fromProtobuf = decodeMetricRows(protobuf, 'protobuf', 'site');
    const fromJson = decodeMetricRows(json, 'json', 'site');
    checkRows(fromProtobuf);
    if (canonical(fromProtobuf.rows) !== canonical(fromJson.rows)) throw new Error('protobuf and OTLP/JSON rows differ');
    if (fromProtobuf.rejected !== fromJson.rejected || fromProtobuf.message !== fromJson.message) throw new Error('protobuf and OTLP/JSON rejections differ');
    const items = expectedItems(body);
    if (fromProtobuf.rows.length + fromProtobuf.rejected !== items) throw new Error(`${fromProtobuf.rows.length} rows and ${fromProtobuf.rejected} rejected of ${items}`);
    const elements = scanMetricsRequest(protobuf, 'protobuf').elements;
    if (elements !== scanMetricsRequest(json, 'json').elements) throw new Error('the scans count different elements');
  }),
);

const damage = fc.array(
  fc.oneof(
    fc.record({ flip: fc.nat(), to: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ cut: fc.nat() }),
    fc.record({ insert: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

const damagedProtobuf = fuzzProperty(
  'metrics, damaged protobuf: rows or MalformedRequestError, and the scan refuses exactly what protobufjs refuses',
  300,
  fc.property(request, damage, (body, steps) => {
    let bytes = protobufMetricsRequest(body);
    for (const step of steps) {
      if (bytes.length === 0) break;
      if ('flip' in step) bytes[step.flip % bytes.length] = step.to;
      else if ('cut' in step) bytes = bytes.subarray(0, step.cut % bytes.length);
      else bytes = Buffer.concat([bytes.subarray(0, step.insert % bytes.length), step.bytes, bytes.subarray(step.insert % bytes.length)]);
    }
    let scanned = true;
    try {
      scanMetricsRequest(bytes, 'protobuf');
    } catch (error) {
      if (!(error instanceof MalformedRequestError)) throw error;
      scanned = false;
    }
    let decodes = true;
    try {
      decodeMetricsProtobuf(bytes);
    } catch {
      decodes = false;
    }
    if (scanned !== decodes) throw new Error(`the scan ${scanned ? 'accepted' : 'refused'} what protobufjs ${decodes ? 'decodes' : 'refuses'}`);
    const decoded = decodeOrError(bytes, 'protobuf');
    if (!(decoded instanceof MalformedRequestError)) checkRows(decoded);
  }),
);

/** Every path to a value in a JSON document. */
function pathsOf(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((item, i) => pathsOf(item, [...path, i], out));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) pathsOf(item, [...path, key], out);
  return out;
}

const damagedJson = fuzzProperty(
  'metrics, OTLP/JSON with values replaced by any JSON: rows or MalformedRequestError, every row storable',
  300,
  fc.property(request, fc.array(fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 }), (body, replacements) => {
    const copy = structuredClone(body);
    for (const [at, value] of replacements) {
      const paths = pathsOf(copy).filter((path) => path.length > 0);
      const path = paths[at % paths.length];
      if (path === undefined) break;
      let parent: unknown = copy;
      for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
      (parent as Record<string | number, unknown>)[path.at(-1) as string | number] = value;
    }
    const decoded = decodeOrError(Buffer.from(JSON.stringify(copy)), 'json');
    if (!(decoded instanceof MalformedRequestError)) checkRows(decoded);
  }),
);

export const metricsProperties: FuzzProperty[] = [valid, damagedProtobuf, damagedJson];

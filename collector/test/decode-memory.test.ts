// Covers the memory decoding may take: an export reserves, before decoding,
// the memory the counting pass estimates (not a multiple of its body), and a
// request over the element limit reserves nothing for decoding (spans, and
// metric points with their bucket counts counted one by one); OTLP/JSON
// bytes values and IDs given as {"length": 1e9} are refused, not allocated;
// and, against
// a real collector in a child process (its memory read from /proc), the attack
// that used to kill the process (a 64 KB gzip body inflating to 63 MiB of
// empty attributes on one span: 33 million as protobuf, 22 million as
// OTLP/JSON) is answered 400 / INVALID_ARGUMENT within seconds over OTLP/HTTP
// and OTLP/gRPC, the process stays up and keeps serving, and its peak memory
// stays far below what decoding the attack took before (over 4 GB, then out
// of memory); the largest request of empty attributes the limit admits passes
// within the same bound.
import { status as GrpcCode } from '@grpc/grpc-js';
import zlib from 'node:zlib';
import t from 'tap';
import type { Test } from 'tap';
import { decodeSpanRows, scanTraceRequest } from '../src/signals/traces/decode-trace-request.ts';
import { scanMetricsRequest } from '../src/signals/metrics/decode-metrics-request.ts';
import { DEFAULT_DECODE_LIMITS } from '../src/decode/decode-limits.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { startCollectorProcess } from './helpers/collector-process.ts';
import type { CollectorProcess } from './helpers/collector-process.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, protobufRequest, SITE_ID } from './helpers/fixtures.ts';
import { grpcFrame, rawExport, rawSession } from './helpers/grpc-client.ts';
import { buildHttpApp } from './helpers/http-app.ts';
import { emptyAttributesJson, emptyAttributesProtobuf } from './helpers/wire-bytes.ts';
import { jsonHistogramPoint, jsonMetric, jsonMetricsRequest, protobufMetricsRequest } from './helpers/metric-fixtures.ts';
import { PeakBudget } from './helpers/test-doubles.ts';


const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

t.test('an export reserves what the counting pass estimates, before decoding', async (t) => {
  const budget = new PeakBudget(1 << 30);
  const { app } = await buildHttpApp({ sink: new MemorySink(), memoryBudget: budget, decodeLimits: { maxRequestElements: 1000 } });
  t.teardown(() => app.close());
  const post = (payload: Buffer, contentType: string) =>
    app.inject({ method: 'POST', url: '/v1/traces', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType }, payload });

  const request = jsonRequest(Array.from({ length: 20 }, (_, i) => jsonSpan({ name: `span ${i}`, attributes: [{ key: 'k', value: { stringValue: 'v'.repeat(i) } }] })));
  for (const [encoding, contentType, body] of [
    ['protobuf', PROTOBUF, protobufRequest(request)],
    ['json', JSON_TYPE, Buffer.from(JSON.stringify(request))],
  ] as const) {
    budget.peak = 0;
    t.equal((await post(body, contentType)).statusCode, 200, encoding);
    const estimate = scanTraceRequest(body, encoding).decodedBytes;
    t.equal(budget.peak, body.length + estimate, `${encoding}: the body and the estimate (${estimate} bytes)`);
    t.ok(estimate > 20 * 1000, `${encoding}: about a kilobyte per span at least`);
    t.equal(budget.reserved, 0, `${encoding}: all given back`);
  }

  // 2,000 empty attributes: 4 KB of protobuf, refused before anything is reserved for decoding.
  budget.peak = 0;
  const over = emptyAttributesProtobuf(2000);
  t.equal((await post(over, PROTOBUF)).statusCode, 400);
  t.equal(budget.peak, over.length, 'only the body was ever reserved');
  t.equal(budget.reserved, 0);
});

t.test('a metrics export reserves what its counting pass estimates; bucket counts count as elements', async (t) => {
  const budget = new PeakBudget(1 << 30);
  const { app } = await buildHttpApp({ sink: new MemorySink(), memoryBudget: budget, decodeLimits: { maxRequestElements: 1000 } });
  t.teardown(() => app.close());
  const post = (payload: Buffer, contentType: string) =>
    app.inject({ method: 'POST', url: '/v1/metrics', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType }, payload });
  const points = Array.from({ length: 20 }, (_, i) => jsonHistogramPoint({ attributes: [{ key: 'k', value: { stringValue: 'v'.repeat(i) } }] }));
  const request = jsonMetricsRequest([jsonMetric('h', { histogram: { aggregationTemporality: 2, dataPoints: points } })]);
  for (const [encoding, contentType, body] of [
    ['protobuf', PROTOBUF, protobufMetricsRequest(request)],
    ['json', JSON_TYPE, Buffer.from(JSON.stringify(request))],
  ] as const) {
    budget.peak = 0;
    t.equal((await post(body, contentType)).statusCode, 200, encoding);
    const estimate = scanMetricsRequest(body, encoding).decodedBytes;
    t.equal(budget.peak, body.length + estimate, `${encoding}: the body and the estimate (${estimate} bytes)`);
    t.ok(estimate > 20 * 1000, `${encoding}: about a kilobyte per histogram point at least`);
    t.equal(budget.reserved, 0, `${encoding}: all given back`);
  }

  // One point of 1,000 buckets: 16 KB of packed protobuf, refused before anything is reserved for decoding.
  budget.peak = 0;
  const buckets = Array.from({ length: 1000 }, () => '1');
  const over = protobufMetricsRequest(jsonMetricsRequest([jsonMetric('h', { histogram: { dataPoints: [jsonHistogramPoint({ bucketCounts: buckets, explicitBounds: buckets.slice(1).map((_, i) => i) })] } })]));
  t.equal((await post(over, PROTOBUF)).statusCode, 400);
  t.equal(budget.peak, over.length, 'only the body was ever reserved');
  t.equal(budget.reserved, 0);
});

t.test('OTLP/JSON bytes given as {"length": N} are refused, not allocated', async (t) => {
  const huge = '{"length":1000000000}';
  const bytesValue = Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ name: 'carrier' }), jsonSpan({ name: 'kept' })])).replace('"name":"carrier"', `"name":"carrier","attributes":[{"key":"b","value":{"bytesValue":${huge}}}]`));
  const before = process.memoryUsage().arrayBuffers;
  const decoded = decodeSpanRows(bytesValue, 'json', SITE_ID);
  t.same(
    decoded.rows.map((row) => row.name),
    ['kept'],
  );
  t.equal(decoded.message, '1 span rejected: invalid bytes_value (a base64 string required)');
  const link = Buffer.from(JSON.stringify(jsonRequest([jsonSpan({ links: [{ spanId: '0102030405060708' }] })])).replace('"links":[{', `"links":[{"traceId":${huge},`));
  const [row] = decodeSpanRows(link, 'json', SITE_ID).rows;
  t.equal(row?.links[0]?.traceId, '00', 'a link ID that is not hex is one byte, as any non-hex ID');
  t.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024, 'no gigabyte was allocated');
});

// The attack as sent: 64 KB of gzip, 63 MiB once inflated (under the 64 MiB request limit).
const ATTACK_BYTES = 63 * 1024 * 1024;
const protobufAttack = zlib.gzipSync(emptyAttributesProtobuf(Math.floor((ATTACK_BYTES - 64) / 2)), { level: 9 });
const jsonAttack = zlib.gzipSync(emptyAttributesJson(Math.floor((ATTACK_BYTES - 256) / 3)), { level: 9 });

// Decoding the attack took over 4 GB before the process ran out of memory; a
// collector at rest takes about 115 MB, and refusing the attack about 250 MB
// (its 63 MiB body, inflating buffers, the counting pass allocates nothing).
const PEAK_RSS_BOUND = 768 * 1024 * 1024;
const ANSWER_WITHIN_MS = 30_000;

async function post(collector: CollectorProcess, body: Buffer, contentType: string, contentEncoding?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType };
  if (contentEncoding !== undefined) headers['content-encoding'] = contentEncoding;
  const response = await fetch(`http://127.0.0.1:${collector.httpPort}/v1/traces`, { method: 'POST', headers, body, signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return { status: response.status, body: await response.text() };
}

/** The collector is still up, still serving, and never took more memory than the bound. */
async function survived(t: Test, collector: CollectorProcess): Promise<void> {
  t.ok(collector.alive(), 'the collector is still running');
  t.equal((await post(collector, Buffer.from(JSON.stringify(jsonRequest([jsonSpan()]))), JSON_TYPE)).status, 200, 'and still serving');
  const peak = await collector.peakRssBytes();
  t.ok(peak < PEAK_RSS_BOUND, `peak RSS ${Math.round(peak / 1048576)} MiB, under ${PEAK_RSS_BOUND / 1048576} MiB`);
}

t.test('the attack over OTLP/HTTP, as protobuf: 400, quickly, and the collector lives', async (t) => {
  t.ok(protobufAttack.length < 100 * 1024, `${protobufAttack.length} bytes of gzip`);
  const collector = await startCollectorProcess(t);
  const started = performance.now();
  const response = await post(collector, protobufAttack, PROTOBUF, 'gzip');
  t.equal(response.status, 400);
  t.ok(performance.now() - started < ANSWER_WITHIN_MS, `answered in ${Math.round(performance.now() - started)} ms`);
  await survived(t, collector);
});

t.test('the attack over OTLP/HTTP, as OTLP/JSON: 400 naming the limit, and the collector lives', async (t) => {
  const collector = await startCollectorProcess(t);
  const response = await post(collector, jsonAttack, JSON_TYPE, 'gzip');
  t.equal(response.status, 400);
  t.match(JSON.parse(response.body), { code: GrpcCode.INVALID_ARGUMENT, message: new RegExp(`more than ${DEFAULT_DECODE_LIMITS.maxRequestElements} elements .* the limit per request`) });
  await survived(t, collector);
});

t.test('the attack over OTLP/gRPC, gzip: INVALID_ARGUMENT, and the collector lives', async (t) => {
  const collector = await startCollectorProcess(t);
  const session = rawSession(collector.grpcPort);
  t.teardown(() => session.close());
  const { outcome } = rawExport(session, { encoding: 'gzip', body: grpcFrame(protobufAttack, { compressed: true }) });
  const { code, message } = await outcome;
  t.equal(code, GrpcCode.INVALID_ARGUMENT);
  t.match(message, /more than \d+ elements/);
  await survived(t, collector);
});

t.test('the largest request of empty attributes the limit admits passes, within the same bound', async (t) => {
  const collector = await startCollectorProcess(t);
  // The span and its groups are 3 elements more.
  const attributes = DEFAULT_DECODE_LIMITS.maxRequestElements - 3;
  t.equal((await post(collector, zlib.gzipSync(emptyAttributesProtobuf(attributes)), PROTOBUF, 'gzip')).status, 200, 'protobuf');
  t.equal((await post(collector, zlib.gzipSync(emptyAttributesJson(attributes)), JSON_TYPE, 'gzip')).status, 200, 'OTLP/JSON');
  await survived(t, collector);
});

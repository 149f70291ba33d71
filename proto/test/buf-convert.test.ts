// Covers: our .proto files against buf's independent protobuf implementation.
// OTLP fixtures (canonical proto3 JSON) are turned into binary by `buf convert`
// using this package's .proto tree; protobufjs decodes them to the same
// values, and what protobufjs encodes converts back to the same JSON. Traces
// (every AnyValue kind, int64 beyond 2^53, NaN/Infinity, bytes, nested arrays
// and kvlists, entity refs, all span kinds), logs and metrics (gauge, sum,
// histogram, exponential histogram, summary, exemplars).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import type { Type } from 'protobufjs';
import {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeTraceRequest,
  int64ToBigInt,
} from '../src/index.ts';
import type { IAnyValue, IKeyValue } from '../src/index.ts';
import { bufConvert } from './helpers/buf-convert.ts';
import { toCanonicalJson } from './helpers/canonical-json.ts';

const fixtureDir = path.join(import.meta.dirname, 'fixtures');

async function fixture(name: string): Promise<{ text: Buffer; json: unknown }> {
  const text = await readFile(path.join(fixtureDir, name));
  return { text, json: JSON.parse(text.toString('utf8')) };
}

const cases: Array<[string, Type, string]> = [
  ['traces.json', ExportTraceServiceRequest, 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'],
  ['logs.json', ExportLogsServiceRequest, 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'],
  ['metrics.json', ExportMetricsServiceRequest, 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'],
];

for (const [file, type, typeName] of cases) {
  t.test(`${file}: buf binary decodes to the fixture, our binary converts back to it`, async (t) => {
    const { text, json } = await fixture(file);
    const binary = await bufConvert(typeName, text, 'json', 'binpb');
    t.ok(binary.length > 0);
    const decoded = type.decode(binary);
    t.same(toCanonicalJson(type, decoded), json, 'protobufjs decode of buf binary');
    t.strictSame(toCanonicalJson(type, decoded), json, 'strictly equal');

    const ours = type.encode(decoded).finish();
    const back = JSON.parse((await bufConvert(typeName, ours, 'binpb', 'json')).toString('utf8'));
    t.strictSame(back, json, 'buf reading protobufjs encode');
  });
}

function attr(attributes: IKeyValue[], key: string): IAnyValue {
  const found = attributes.find((a) => a.key === key);
  if (!found?.value) throw new Error(`no attribute ${key}`);
  return found.value;
}

t.test('traces: typed view of the decoded request keeps every value exact', async (t) => {
  const { text } = await fixture('traces.json');
  const req = decodeTraceRequest(await bufConvert(cases[0]![2], text, 'json', 'binpb'));

  t.equal(req.resourceSpans.length, 2);
  const rs = req.resourceSpans[0]!;
  t.equal(rs.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  t.equal(rs.resource?.droppedAttributesCount, 3);
  t.strictSame(rs.resource?.entityRefs.map((e) => [e.type, e.idKeys, e.descriptionKeys, e.schemaUrl]), [
    ['service', ['service.name'], ['service.version'], 'https://opentelemetry.io/schemas/1.34.0'],
    ['host', ['host.id'], [], ''],
  ]);
  t.equal(req.resourceSpans[1]!.resource, null, 'absent resource reads as null');

  const ss = rs.scopeSpans[0]!;
  t.equal(ss.scope?.name, '@opentelemetry/instrumentation-http');
  t.equal(ss.scope?.version, '0.201.0');
  t.equal(ss.scope?.droppedAttributesCount, 1);
  t.equal(int64ToBigInt(attr(ss.scope!.attributes, 'scope.attr').intValue!), 7n);
  t.equal(rs.scopeSpans[1]!.scope, null, 'absent scope reads as null');

  const [server, client, internal, bare] = ss.spans;
  t.equal(Buffer.from(server!.traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  t.equal(Buffer.from(server!.spanId).toString('hex'), 'eee19b7ec3c1b174');
  t.equal(server!.parentSpanId.length, 0, 'root span: empty parent id');
  t.equal(server!.traceState, 'vendor=abc,other=xyz');
  t.equal(server!.flags, 769);
  t.equal(server!.kind, 2);
  t.equal(int64ToBigInt(server!.startTimeUnixNano), 1700000000123456789n);
  t.equal(int64ToBigInt(server!.endTimeUnixNano), 1700000000987654321n);
  t.equal(server!.droppedAttributesCount, 2);
  t.equal(server!.droppedEventsCount, 5);
  t.equal(server!.droppedLinksCount, 6);
  t.strictSame({ code: server!.status?.code, message: server!.status?.message }, { code: 2, message: 'card declined' });

  const a = server!.attributes;
  t.equal(attr(a, 'str').value, 'stringValue');
  t.equal(attr(a, 'str').stringValue, 'GET /checkout — ünïcødé 🚀');
  t.equal(attr(a, 'str.empty').value, 'stringValue', 'an empty string is still a set member');
  t.equal(attr(a, 'bool.false').value, 'boolValue');
  t.equal(attr(a, 'bool.false').boolValue, false);
  t.equal(attr(a, 'int.zero').value, 'intValue');
  t.equal(int64ToBigInt(attr(a, 'int.small').intValue!), -42n);
  t.equal(int64ToBigInt(attr(a, 'int.above2p53').intValue!), 9007199254740993n);
  t.equal(int64ToBigInt(attr(a, 'int.max').intValue!), 9223372036854775807n);
  t.equal(int64ToBigInt(attr(a, 'int.min').intValue!), -9223372036854775808n);
  t.equal(attr(a, 'double.pi').doubleValue, Math.PI);
  t.equal(attr(a, 'double.zero').value, 'doubleValue');
  t.ok(Number.isNaN(attr(a, 'double.nan').doubleValue));
  t.equal(attr(a, 'double.inf').doubleValue, Infinity);
  t.equal(attr(a, 'double.neginf').doubleValue, -Infinity);
  t.strictSame([...(attr(a, 'bytes').bytesValue as Uint8Array)], [0, 1, 2, 0xfe, 0xff]);
  t.equal(attr(a, 'bytes.empty').value, 'bytesValue');
  const arr = attr(a, 'array').arrayValue!.values;
  t.strictSame(arr.map((v) => v.value), ['stringValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue', undefined, 'arrayValue', 'kvlistValue']);
  t.equal(int64ToBigInt(arr[1]!.intValue!), 18014398509481985n);
  t.equal(arr[6]!.arrayValue!.values[0]!.stringValue, 'nested');
  t.equal(arr[7]!.kvlistValue!.values[0]!.value!.stringValue, 'v');
  t.equal(attr(a, 'array.empty').arrayValue!.values.length, 0);
  const kv = attr(a, 'kvlist').kvlistValue!.values;
  t.equal(int64ToBigInt(kv[0]!.value!.intValue!), -9007199254740993n);
  t.ok(Number.isNaN(kv[1]!.value!.arrayValue!.values[0]!.doubleValue));
  t.equal(kv[2]!.value!.kvlistValue!.values[0]!.value!.boolValue, false);
  t.equal(kv[3]!.value!.value, undefined, 'empty AnyValue: no member set');
  t.equal(attr(a, 'kvlist.empty').kvlistValue!.values.length, 0);
  t.equal(attr(a, 'empty.value').value, undefined);
  t.equal(a.find((x) => x.key === 'no.value.at.all')!.value, null, 'KeyValue without value reads null');

  t.equal(server!.events.length, 2);
  t.equal(int64ToBigInt(server!.events[0]!.timeUnixNano), 1700000000500000001n);
  t.equal(server!.events[0]!.name, 'exception');
  t.equal(server!.events[0]!.droppedAttributesCount, 4);
  t.equal(attr(server!.events[0]!.attributes, 'exception.escaped').boolValue, true);
  t.equal(server!.events[1]!.attributes.length, 0);

  const [l0, l1] = server!.links;
  t.equal(Buffer.from(l0!.traceId).toString('hex'), 'ffffffffffffffffffffffffffffffff');
  t.equal(Buffer.from(l0!.spanId).toString('hex'), 'a1a2a3a4a5a6a7a8');
  t.equal(l0!.traceState, 'k=v');
  t.equal(l0!.flags, 257);
  t.equal(l0!.droppedAttributesCount, 1);
  t.equal(l1!.flags, 0);
  t.equal(l1!.traceState, '');

  t.equal(Buffer.from(client!.parentSpanId).toString('hex'), 'eee19b7ec3c1b174');
  t.equal(client!.kind, 3);
  t.equal(int64ToBigInt(client!.endTimeUnixNano), 18446744073709551615n, 'fixed64 max stays unsigned');
  t.equal(client!.status?.code, 1);
  t.equal(internal!.kind, 1);
  t.strictSame({ code: internal!.status?.code, message: internal!.status?.message }, { code: 0, message: '' });
  t.equal(bare!.kind, 0);
  t.equal(bare!.status, null);
  t.equal(int64ToBigInt(bare!.startTimeUnixNano), 0n, 'absent fixed64 reads as zero');
  t.strictSame(rs.scopeSpans[1]!.spans.map((s) => s.kind), [4, 5]);
});

t.test('logs: typed view of the decoded request', async (t) => {
  const { text } = await fixture('logs.json');
  const req = decodeLogsRequest(await bufConvert(cases[1]![2], text, 'json', 'binpb'));
  const sl = req.resourceLogs[0]!.scopeLogs[0]!;
  t.equal(sl.scope?.name, 'pino');
  const [full, structured, binary, minimal] = sl.logRecords;
  t.equal(int64ToBigInt(full!.timeUnixNano), 1700000000000000001n);
  t.equal(int64ToBigInt(full!.observedTimeUnixNano), 1700000000000000999n);
  t.equal(full!.severityNumber, 19);
  t.equal(full!.severityText, 'error');
  t.equal(full!.body?.stringValue, 'payment failed');
  t.equal(int64ToBigInt(attr(full!.attributes, 'order.id').intValue!), 9007199254740995n);
  t.equal(Buffer.from(attr(full!.attributes, 'raw').bytesValue!).toString('hex'), 'deadbeef');
  t.equal(full!.droppedAttributesCount, 1);
  t.equal(full!.flags, 1);
  t.equal(Buffer.from(full!.traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  t.equal(Buffer.from(full!.spanId).toString('hex'), 'eee19b7ec3c1b174');
  t.equal(full!.eventName, 'payment.failure');
  t.equal(int64ToBigInt(structured!.timeUnixNano), 0n);
  t.equal(structured!.severityNumber, 24);
  t.equal(structured!.body?.value, 'kvlistValue');
  t.equal(structured!.body?.kvlistValue?.values[1]?.value?.arrayValue?.values[1]?.doubleValue, Infinity);
  t.equal(Buffer.from(binary!.body!.bytesValue!).toString('hex'), '00ff');
  t.equal(minimal!.body, null);
  t.equal(minimal!.traceId.length, 0);
  t.equal(minimal!.eventName, '');
});

t.test('metrics: typed view of the decoded request', async (t) => {
  const { text } = await fixture('metrics.json');
  const req = decodeMetricsRequest(await bufConvert(cases[2]![2], text, 'json', 'binpb'));
  const [gauge, counter, upDown, histogram, expHistogram, summary, empty] = req.resourceMetrics[0]!.scopeMetrics[0]!.metrics;

  t.equal(gauge!.data, 'gauge');
  t.equal(gauge!.unit, '1');
  t.equal(attr(gauge!.metadata, 'prometheus.type').stringValue, 'gauge');
  const gp = gauge!.gauge!.dataPoints;
  t.equal(gp[0]!.value, 'asDouble');
  t.equal(gp[0]!.asDouble, 0.25);
  t.equal(gp[1]!.value, 'asInt');
  t.equal(int64ToBigInt(gp[1]!.asInt!), -9223372036854775808n);
  const exemplar = gp[1]!.exemplars[0]!;
  t.equal(int64ToBigInt(exemplar.asInt!), 9007199254740993n);
  t.equal(int64ToBigInt(exemplar.timeUnixNano), 1699999999500000000n);
  t.equal(Buffer.from(exemplar.traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  t.equal(attr(exemplar.filteredAttributes, 'user').stringValue, 'u1');
  t.equal(gp[2]!.value, undefined, 'no value on the wire');
  t.equal(gp[2]!.flags, 1);

  t.equal(counter!.data, 'sum');
  t.equal(counter!.sum!.aggregationTemporality, 2);
  t.equal(counter!.sum!.isMonotonic, true);
  t.equal(int64ToBigInt(counter!.sum!.dataPoints[0]!.asInt!), 12345678901234567n);
  t.ok(Number.isNaN(counter!.sum!.dataPoints[0]!.exemplars[0]!.asDouble));
  t.equal(counter!.sum!.dataPoints[1]!.value, 'asDouble', 'a zero double in the oneof is present');
  t.equal(upDown!.sum!.aggregationTemporality, 1);
  t.equal(upDown!.sum!.isMonotonic, false);

  t.equal(histogram!.data, 'histogram');
  const hp = histogram!.histogram!.dataPoints[0]!;
  t.equal(int64ToBigInt(hp.count), 18446744073709551615n);
  t.equal(hp.sum, 0, 'optional sum present at zero');
  t.strictSame(hp.bucketCounts.map(int64ToBigInt), [1n, 0n, 18446744073709551614n]);
  t.strictSame(hp.explicitBounds, [5, 10.5]);
  t.equal(hp.min, -0.5);
  t.equal(hp.max, Infinity);
  t.equal(hp.exemplars[0]!.asDouble, 7.25);
  const hp2 = histogram!.histogram!.dataPoints[1]!;
  t.equal(hp2.sum, null, 'absent optional sum reads null');
  t.equal(hp2.min, null);
  t.equal(hp2.max, null);

  t.equal(expHistogram!.data, 'exponentialHistogram');
  const ep = expHistogram!.exponentialHistogram!.dataPoints[0]!;
  t.equal(ep.scale, -3);
  t.equal(int64ToBigInt(ep.zeroCount), 2n);
  t.equal(ep.zeroThreshold, 1e-9);
  t.equal(ep.positive?.offset, -2);
  t.strictSame(ep.positive?.bucketCounts.map(int64ToBigInt), [1n, 0n, 3n]);
  t.equal(ep.negative?.offset, 5);
  t.strictSame(ep.negative?.bucketCounts.map(int64ToBigInt), [18446744073709551615n]);
  t.equal(ep.min, 0);
  t.equal(ep.max, 4.5);
  t.equal(ep.sum, 12.5);
  const ep2 = expHistogram!.exponentialHistogram!.dataPoints[1]!;
  t.equal(ep2.scale, 20);
  t.equal(ep2.negative, null);
  t.equal(ep2.positive?.bucketCounts.length, 0);

  t.equal(summary!.data, 'summary');
  const sp = summary!.summary!.dataPoints[0]!;
  t.equal(int64ToBigInt(sp.count), 100n);
  t.equal(sp.sum, 250.75);
  t.strictSame(sp.quantileValues.slice(0, 2).map((q) => [q.quantile, q.value]), [[0, 0.1], [0.5, 2]]);
  t.ok(Number.isNaN(sp.quantileValues[2]!.value));
  t.equal(empty!.data, undefined);
});

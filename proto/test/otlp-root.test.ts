// Covers: the package entry. The exported Types are the right messages with
// lowerCamelCase fields, Type.fromObject accepts OTLP/JSON-shaped objects
// (camelCase keys, int64 as strings or numbers, enums as integers), the typed
// decode helpers reject malformed bytes, and int64ToBigInt/int64ToString are
// exact across the signed and unsigned 64-bit ranges.
import t from 'tap';
import protobuf from 'protobufjs';
import {
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  ExportMetricsServiceRequest,
  ExportMetricsServiceResponse,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  RpcStatus,
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeTraceRequest,
  int64ToBigInt,
  int64ToString,
  otlpRoot,
} from '../src/index.ts';

t.test('exported types are the OTLP messages', async (t) => {
  t.equal(ExportTraceServiceRequest.fullName, '.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  t.equal(ExportTraceServiceResponse.fullName, '.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  t.equal(ExportLogsServiceRequest.fullName, '.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
  t.equal(ExportLogsServiceResponse.fullName, '.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
  t.equal(ExportMetricsServiceRequest.fullName, '.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
  t.equal(ExportMetricsServiceResponse.fullName, '.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
  t.equal(RpcStatus.fullName, '.google.rpc.Status');
  t.strictSame(Object.keys(otlpRoot.lookupType('opentelemetry.proto.trace.v1.Span').fields).slice(0, 5), ['traceId', 'spanId', 'traceState', 'parentSpanId', 'flags']);
  t.ok(otlpRoot.lookupService('opentelemetry.proto.collector.trace.v1.TraceService').methods['Export']);
});

t.test('Type.fromObject accepts OTLP/JSON-shaped objects', async (t) => {
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] },
      scopeSpans: [{
        scope: { name: 'tracker' },
        spans: [{
          traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex'),
          spanId: Buffer.from('eee19b7ec3c1b174', 'hex'),
          name: 'page view',
          kind: 3,
          startTimeUnixNano: '1700000000123456789',
          endTimeUnixNano: 1700000001000000000,
          attributes: [{ key: 'big', value: { intValue: '9223372036854775807' } }, { key: 'small', value: { intValue: 5 } }],
          status: { code: 2 },
        }],
      }],
    }],
  });
  const request = decodeTraceRequest(ExportTraceServiceRequest.encode(message).finish());
  const span = request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  t.equal(span.name, 'page view');
  t.equal(span.kind, 3);
  t.equal(int64ToString(span.startTimeUnixNano), '1700000000123456789');
  t.equal(int64ToString(span.endTimeUnixNano), '1700000001000000000');
  t.equal(int64ToBigInt(span.attributes[0]!.value!.intValue!), 9223372036854775807n);
  t.equal(int64ToBigInt(span.attributes[1]!.value!.intValue!), 5n);
  t.equal(span.status!.code, 2);
  t.equal(Buffer.from(span.traceId).toString('hex'), '5b8efff798038103d269b633813fc60c');
  t.equal(request.resourceSpans[0]!.resource!.attributes[0]!.value!.stringValue, 'web');
});

t.test('decode helpers throw on malformed bytes', async (t) => {
  const truncated = ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x' }] }] }] })).finish().subarray(0, 5);
  t.throws(() => decodeTraceRequest(truncated));
  t.throws(() => decodeLogsRequest(Buffer.from([0x0a, 0x05, 0x01])));
  t.throws(() => decodeMetricsRequest(Buffer.from([0x0f])), 'invalid wire type');
  t.strictSame(decodeTraceRequest(new Uint8Array()).resourceSpans, [], 'empty body is an empty request');
});

t.test('int64ToBigInt is exact at the edges', async (t) => {
  const cases: Array<[string, boolean, bigint]> = [
    ['0', false, 0n],
    ['-1', false, -1n],
    ['9007199254740993', false, 9007199254740993n],
    ['-9007199254740993', false, -9007199254740993n],
    ['9223372036854775807', false, 9223372036854775807n],
    ['-9223372036854775808', false, -9223372036854775808n],
    ['4294967295', true, 4294967295n],
    ['4294967296', true, 4294967296n],
    ['18446744073709551615', true, 18446744073709551615n],
    ['1700000000123456789', true, 1700000000123456789n],
  ];
  for (const [text, unsigned, expected] of cases) {
    const value = protobuf.util.LongBits.from(text).toLong(unsigned);
    t.equal(int64ToBigInt(value), expected, `${unsigned ? 'u' : ''}int64 ${text}`);
    t.equal(int64ToString(value), expected.toString());
  }
  t.equal(int64ToBigInt(42), 42n, 'plain numbers (no long library) still work');
  t.equal(int64ToBigInt(-7), -7n);
});

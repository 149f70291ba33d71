// Covers: ExportLogsServiceRequest against the real OpenTelemetry JS encoder.
// Log records emitted through @opentelemetry/sdk-logs are serialized by
// @opentelemetry/otlp-transformer's ProtobufLogsSerializer; our decode must
// give back exact timestamps, severity, bodies of every AnyValue kind (maps,
// arrays, bytes, null), attributes, event names, trace context and flags,
// resource and scope, and the same document as its JsonLogsSerializer.
import t from 'tap';
import { ROOT_CONTEXT, SeverityNumber, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { ExportLogsServiceRequest, LogRecordFlags, decodeLogsRequest, int64ToBigInt } from '../src/index.ts';
import { anyValueToJs, keyValuesToJs } from './helpers/any-value.ts';
import { hrTimeToBigInt } from './helpers/hr-time.ts';
import { decodedToOtlpJson, otelJsJson } from './helpers/otlp-json.ts';

const hex = (bytes: Uint8Array | readonly []): string => Buffer.from(bytes).toString('hex');

async function emitLogs(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'worker', 'worker.shard': 3 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('app-logger', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    traceFlags: TraceFlags.SAMPLED,
  });

  logger.emit({
    timestamp: [1_700_000_000, 1],
    observedTimestamp: [1_700_000_000, 999_999_999],
    severityNumber: SeverityNumber.ERROR3,
    severityText: 'ERROR',
    body: 'payment failed for order 42',
    attributes: { 'order.id': 42, 'amount': 12.5, 'retry': false, 'tags': ['a', 'b'], 'raw': new Uint8Array([0, 255, 16]), 'nested': { 'k': 'v', 'list': [1, 2.5, 'x'], 'inner': { 'deep': true } } },
    eventName: 'payment.failed',
    context: inSpan,
  });
  logger.emit({
    timestamp: [1_700_000_001, 500],
    severityNumber: SeverityNumber.INFO,
    body: { msg: 'structured', count: 3, ratio: 0.75, ok: true, bytes: new Uint8Array([1, 2]), list: ['x', 1], child: { a: null } },
  });
  logger.emit({ timestamp: [1_700_000_002, 0], body: new Uint8Array([0xde, 0xad]) });
  logger.emit({ timestamp: [1_700_000_003, 0], body: ['mixed', 7, true, 1.5] });
  logger.emit({ timestamp: [1_700_000_004, 0] });
  await provider.forceFlush();
  // Read before shutdown: shutting down the in-memory exporter empties it.
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

t.test('log records serialized by OpenTelemetry JS decode to the emitted values', async (t) => {
  const records = await emitLogs();
  t.equal(records.length, 5);
  const request = decodeLogsRequest(ProtobufLogsSerializer.serializeRequest(records)!);

  t.equal(request.resourceLogs.length, 1);
  const rl = request.resourceLogs[0]!;
  t.equal(rl.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  t.strictSame(keyValuesToJs(rl.resource!.attributes), { 'service.name': 'worker', 'worker.shard': 3 });
  t.equal(rl.scopeLogs.length, 1);
  const sl = rl.scopeLogs[0]!;
  t.equal(sl.scope!.name, 'app-logger');
  t.equal(sl.scope!.version, '2.0.0');
  t.equal(sl.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
  t.equal(sl.logRecords.length, records.length);

  records.forEach((sdk, i) => {
    const got = sl.logRecords[i]!;
    t.equal(int64ToBigInt(got.timeUnixNano), hrTimeToBigInt(sdk.hrTime), `record ${i} time`);
    t.equal(int64ToBigInt(got.observedTimeUnixNano), hrTimeToBigInt(sdk.hrTimeObserved), `record ${i} observed time`);
    t.equal(got.severityNumber, sdk.severityNumber ?? 0);
    t.equal(got.severityText, sdk.severityText ?? '');
    t.equal(got.eventName, sdk.eventName ?? '');
    t.strictSame(anyValueToJs(got.body), sdk.body === undefined ? null : sdk.body, `record ${i} body`);
    t.strictSame(keyValuesToJs(got.attributes), sdk.attributes, `record ${i} attributes`);
    t.equal(got.droppedAttributesCount, sdk.droppedAttributesCount);
    t.equal(hex(got.traceId), sdk.spanContext?.traceId ?? '');
    t.equal(hex(got.spanId), sdk.spanContext?.spanId ?? '');
    t.equal(got.flags & LogRecordFlags.TRACE_FLAGS_MASK, sdk.spanContext?.traceFlags ?? 0);
  });

  const [first, structured, binary, array, empty] = sl.logRecords;
  t.equal(int64ToBigInt(first!.timeUnixNano), 1700000000000000001n);
  t.equal(int64ToBigInt(first!.observedTimeUnixNano), 1700000000999999999n);
  t.equal(first!.severityNumber, 19);
  t.equal(first!.body!.stringValue, 'payment failed for order 42');
  t.equal(first!.eventName, 'payment.failed');
  t.equal(first!.flags, 1);
  t.equal(hex(first!.traceId), '5b8efff798038103d269b633813fc60c');
  t.equal(hex(first!.spanId), 'eee19b7ec3c1b174');
  t.strictSame(keyValuesToJs(first!.attributes), {
    'order.id': 42, 'amount': 12.5, 'retry': false, 'tags': ['a', 'b'], 'raw': new Uint8Array([0, 255, 16]), 'nested': { 'k': 'v', 'list': [1, 2.5, 'x'], 'inner': { 'deep': true } },
  });
  t.equal(structured!.body!.value, 'kvlistValue');
  t.equal(int64ToBigInt(structured!.timeUnixNano), 1700000001000000500n);
  t.equal(binary!.body!.value, 'bytesValue');
  t.equal(array!.body!.value, 'arrayValue');
  t.equal(empty!.body, null);
  t.equal(empty!.severityNumber, 0);
});

t.test('decode matches the JSON serializer document', async (t) => {
  const records = await emitLogs();
  const fromProto = decodedToOtlpJson(ExportLogsServiceRequest, ExportLogsServiceRequest.decode(ProtobufLogsSerializer.serializeRequest(records)!));
  const fromJson = otelJsJson(JsonLogsSerializer.serializeRequest(records)!) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body?: unknown }> }> }> };
  // The JSON serializer writes a missing body as an empty AnyValue ({}); the
  // protobuf one leaves the field out. Both mean "no body".
  const last = fromJson.resourceLogs[0]!.scopeLogs[0]!.logRecords[4]!;
  t.strictSame(last.body, {});
  delete last.body;
  t.strictSame(fromProto, fromJson);
});

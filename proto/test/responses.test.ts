// Covers: the response side. Export*ServiceResponse with and without
// partial_success, and google.rpc.Status with an Any detail: protobufjs
// encode/decode round trips, OpenTelemetry JS's own response readers and
// `buf convert` reading what we encode, and our decode of what buf encodes.
import t from 'tap';
import type { Type } from 'protobufjs';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  ExportLogsServiceResponse,
  ExportMetricsServiceResponse,
  ExportTraceServiceResponse,
  RpcStatus,
  int64ToBigInt,
} from '../src/index.ts';
import type { IExportTraceServiceResponse, IRpcStatus } from '../src/index.ts';
import { bufConvert } from './helpers/buf-convert.ts';

const signals: Array<{ type: Type; typeName: string; rejectedField: string; otelJsRead: (body: Uint8Array) => unknown }> = [
  { type: ExportTraceServiceResponse, typeName: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', rejectedField: 'rejectedSpans', otelJsRead: (b) => ProtobufTraceSerializer.deserializeResponse(b) },
  { type: ExportLogsServiceResponse, typeName: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse', rejectedField: 'rejectedLogRecords', otelJsRead: (b) => ProtobufLogsSerializer.deserializeResponse(b) },
  { type: ExportMetricsServiceResponse, typeName: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse', rejectedField: 'rejectedDataPoints', otelJsRead: (b) => ProtobufMetricsSerializer.deserializeResponse(b) },
];

for (const { type, typeName, rejectedField, otelJsRead } of signals) {
  t.test(`${type.name} with partial_success`, async (t) => {
    const body = type.encode(type.fromObject({ partialSuccess: { [rejectedField]: 42, errorMessage: '42 items had an empty trace id' } })).finish();

    const decoded = type.decode(body) as unknown as { partialSuccess: Record<string, unknown> | null };
    t.equal(int64ToBigInt(decoded.partialSuccess![rejectedField] as number), 42n);
    t.equal(decoded.partialSuccess!['errorMessage'], '42 items had an empty trace id');

    t.strictSame(otelJsRead(body), { partialSuccess: { [rejectedField]: 42, errorMessage: '42 items had an empty trace id' } }, 'OpenTelemetry JS reads it');

    const big = type.encode(type.fromObject({ partialSuccess: { [rejectedField]: '9007199254740993', errorMessage: 'w' } })).finish();
    t.strictSame(JSON.parse((await bufConvert(typeName, big, 'binpb', 'json')).toString('utf8')), { partialSuccess: { [rejectedField]: '9007199254740993', errorMessage: 'w' } }, 'buf reads it');

    const fromBuf = await bufConvert(typeName, Buffer.from(JSON.stringify({ partialSuccess: { [rejectedField]: '-1', errorMessage: 'warning only' } })), 'json', 'binpb');
    const back = type.decode(fromBuf) as unknown as { partialSuccess: Record<string, unknown> };
    t.equal(int64ToBigInt(back.partialSuccess[rejectedField] as number), -1n, 'int64 sign survives');
    t.equal(back.partialSuccess['errorMessage'], 'warning only');
  });

  t.test(`${type.name} without partial_success is empty on the wire`, async (t) => {
    const body = type.encode(type.fromObject({})).finish();
    t.equal(body.length, 0);
    t.equal((type.decode(body) as unknown as IExportTraceServiceResponse).partialSuccess, null);
    t.strictSame(otelJsRead(body), {});
  });
}

t.test('google.rpc.Status with an Any detail round-trips', async (t) => {
  const inner = RpcStatus.encode(RpcStatus.fromObject({ code: 1, message: 'inner' })).finish();
  const status = {
    code: 8,
    message: 'over quota: retry later',
    details: [{ typeUrl: 'type.googleapis.com/google.rpc.Status', value: inner }],
  };
  const body = RpcStatus.encode(RpcStatus.fromObject(status)).finish();

  const decoded = RpcStatus.decode(body) as unknown as IRpcStatus;
  t.equal(decoded.code, 8);
  t.equal(decoded.message, 'over quota: retry later');
  t.equal(decoded.details.length, 1);
  t.equal(decoded.details[0]!.typeUrl, 'type.googleapis.com/google.rpc.Status', 'Any uses lowerCamelCase like the rest');
  const innerDecoded = RpcStatus.decode(decoded.details[0]!.value as Uint8Array) as unknown as IRpcStatus;
  t.strictSame({ code: innerDecoded.code, message: innerDecoded.message }, { code: 1, message: 'inner' });
  t.strictSame(RpcStatus.toObject(RpcStatus.decode(body)), RpcStatus.toObject(RpcStatus.fromObject(status)));

  const json = JSON.parse((await bufConvert('google.rpc.Status', body, 'binpb', 'json')).toString('utf8'));
  t.strictSame(json, { code: 8, message: 'over quota: retry later', details: [{ '@type': 'type.googleapis.com/google.rpc.Status', code: 1, message: 'inner' }] }, 'buf reads it, Any included');

  const fromBuf = RpcStatus.decode(await bufConvert('google.rpc.Status', Buffer.from(JSON.stringify(json)), 'json', 'binpb')) as unknown as IRpcStatus;
  t.equal(fromBuf.code, 8);
  t.equal(fromBuf.details[0]!.typeUrl, 'type.googleapis.com/google.rpc.Status');
  t.strictSame([...(fromBuf.details[0]!.value as Uint8Array)], [...inner]);
});

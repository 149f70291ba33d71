import type { Root, Type } from 'protobufjs';
import { loadProtoRoot, protoDir } from './load-root.ts';

export { protoDir };

/** Entry files; everything else comes in through their imports. */
export const protoFiles: readonly string[] = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
];

/** All OTLP messages, services and google.rpc.Status, resolved. */
export const otlpRoot: Root = loadProtoRoot(protoFiles);

function lookup(name: string): Type {
  return otlpRoot.lookupType(name);
}

export const ExportTraceServiceRequest: Type = lookup('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse: Type = lookup('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const ExportLogsServiceRequest: Type = lookup('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponse: Type = lookup('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const ExportMetricsServiceRequest: Type = lookup('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
export const ExportMetricsServiceResponse: Type = lookup('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');
/** google.rpc.Status: the body of OTLP/HTTP error responses. */
export const RpcStatus: Type = lookup('google.rpc.Status');

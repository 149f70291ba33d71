import { readFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { Root, Type } from 'protobufjs';

/** Folder holding the .proto tree (opentelemetry/…, google/rpc/…). */
export const protoDir = path.join(import.meta.dirname, '..');

/** Entry files; everything else comes in through their imports. */
export const protoFiles: readonly string[] = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
];

// protobufjs serves google/protobuf/*.proto from a bundled, pre-parsed JSON
// copy whatever resolvePath says, and that copy keeps the snake_case name
// `type_url`. Parsing our own copy first and claiming its file name makes
// protobufjs skip the bundled one, so Any is lowerCamelCase like the rest.
const anyFile = 'google/protobuf/any.proto';

function loadRoot(): Root {
  const root = new protobuf.Root();
  protobuf.parse(readFileSync(path.join(protoDir, anyFile), 'utf8'), root, { keepCase: false });
  root.files.push(anyFile);
  // Imports are written relative to the tree's top (as upstream does), so
  // every file resolves against protoDir rather than against its importer.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoDir, target));
  // keepCase false: lowerCamelCase field names, the same names OTLP/JSON uses,
  // so Type.fromObject accepts OTLP/JSON objects directly.
  root.loadSync(protoFiles as string[], { keepCase: false });
  root.resolveAll();
  return root;
}

/** All OTLP messages, services and google.rpc.Status, resolved. */
export const otlpRoot: Root = loadRoot();

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

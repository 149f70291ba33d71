// Typed wrappers around Type.decode for the three export requests. They throw
// what protobufjs throws on malformed input (RangeError for truncated data,
// Error for a bad wire type), so callers map any throw to "invalid request".
import {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
} from './otlp-root.ts';
import type {
  IExportLogsServiceRequest,
  IExportMetricsServiceRequest,
  IExportTraceServiceRequest,
} from './otlp-types.ts';

export function decodeTraceRequest(body: Uint8Array): IExportTraceServiceRequest {
  return ExportTraceServiceRequest.decode(body) as unknown as IExportTraceServiceRequest;
}

export function decodeLogsRequest(body: Uint8Array): IExportLogsServiceRequest {
  return ExportLogsServiceRequest.decode(body) as unknown as IExportLogsServiceRequest;
}

export function decodeMetricsRequest(body: Uint8Array): IExportMetricsServiceRequest {
  return ExportMetricsServiceRequest.decode(body) as unknown as IExportMetricsServiceRequest;
}

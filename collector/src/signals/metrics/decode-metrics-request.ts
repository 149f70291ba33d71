import { ExportMetricsServiceRequest } from '@justanalytics/proto';
import type { IExportMetricsServiceRequest } from '@justanalytics/proto';
import type { MetricPointRow } from './metric-point-row.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { hexFieldToBytes } from '../../decode/id-bytes.ts';
import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { OtlpEncoding } from '../../decode/otlp-encoding.ts';
import { objectsIn, parseOtlpJson } from '../../decode/parse-otlp-json.ts';
import { scanRequest } from '../../decode/request-scan.ts';
import type { RequestScan } from '../../decode/request-scan.ts';
import { metricRequestToRows } from './metric-request-to-rows.ts';
import { METRICS_WIRE_SCHEMA } from './metrics-wire-schema.ts';

/**
 * Decodes an ExportMetricsServiceRequest body, protobuf or OTLP/JSON, into
 * one row per data point, of one site: scanMetricsRequest, then
 * decodeScannedMetricsRequest. Throws MalformedRequestError when the body as
 * a whole cannot be decoded or is over limits.maxRequestElements; points
 * that decode but cannot be stored are counted in `rejected`.
 */
export function decodeMetricRows(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedRows<MetricPointRow> {
  scanMetricsRequest(body, encoding, limits);
  return decodeScannedMetricsRequest(body, encoding, siteId, limits);
}

/**
 * The counting pass over a metrics request, before decoding: its elements
 * (data points, key-values, bucket counts and bounds one by one, …) and the
 * memory decoding it will take. Throws MalformedRequestError when it cannot
 * be decoded or is over limits.maxRequestElements.
 */
export function scanMetricsRequest(body: Buffer, encoding: OtlpEncoding, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): RequestScan {
  return scanRequest(body, encoding, METRICS_WIRE_SCHEMA, limits);
}

/**
 * Decodes a body that scanMetricsRequest accepted, applying the per-item
 * limits. On its own it does not check limits.maxRequestElements: protobufjs
 * and JSON.parse cannot stop halfway, so only the scan before it can.
 */
export function decodeScannedMetricsRequest(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits): DecodedRows<MetricPointRow> {
  const request = encoding === 'protobuf' ? decodeMetricsProtobuf(body) : decodeMetricsJson(body);
  return metricRequestToRows(request, siteId, limits);
}

export function decodeMetricsProtobuf(body: Buffer): IExportMetricsServiceRequest {
  try {
    return ExportMetricsServiceRequest.decode(body) as unknown as IExportMetricsServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid protobuf ExportMetricsServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

export function decodeMetricsJson(body: Buffer): IExportMetricsServiceRequest {
  const parsed = parseOtlpJson(body);
  hexIdsToBytes(parsed);
  try {
    // fromObject takes enum names or numbers, int64 as strings or numbers,
    // doubles as numbers or "NaN", "Infinity" and "-Infinity", and skips
    // fields it does not know, as OTLP/JSON requires.
    return ExportMetricsServiceRequest.fromObject(parsed) as unknown as IExportMetricsServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid OTLP/JSON ExportMetricsServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

/** The metric members whose points carry exemplars (summaries have none). */
const WITH_EXEMPLARS = ['gauge', 'sum', 'histogram', 'exponentialHistogram'] as const;

// OTLP/JSON spells exemplars' trace and span IDs in hex where proto3 JSON
// uses base64. Anything unexpected in the structure is left for fromObject
// to refuse.
function hexIdsToBytes(request: Record<string, unknown>): void {
  for (const resourceMetrics of objectsIn(request, 'resourceMetrics')) {
    for (const scopeMetrics of objectsIn(resourceMetrics, 'scopeMetrics')) {
      for (const metric of objectsIn(scopeMetrics, 'metrics')) {
        for (const member of WITH_EXEMPLARS) {
          const data = metric[member];
          if (typeof data !== 'object' || data === null || Array.isArray(data)) continue;
          for (const point of objectsIn(data as Record<string, unknown>, 'dataPoints')) {
            for (const exemplar of objectsIn(point, 'exemplars')) {
              hexFieldToBytes(exemplar, 'traceId');
              hexFieldToBytes(exemplar, 'spanId');
            }
          }
        }
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

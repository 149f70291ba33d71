import { ExportTraceServiceRequest } from '@justanalytics/proto';
import type { IExportTraceServiceRequest } from '@justanalytics/proto';
import type { SpanRow } from '../rows/span-row.ts';
import type { DecodedRows } from './decoded-rows.ts';
import { hexToIdBytes } from './id-bytes.ts';
import { MalformedRequestError } from './malformed-request-error.ts';
import type { OtlpEncoding } from './otlp-encoding.ts';
import { objectsIn, parseOtlpJson } from './parse-otlp-json.ts';
import { traceRequestToRows } from './trace-request-to-rows.ts';

/**
 * Decodes an ExportTraceServiceRequest body into span rows of one site.
 * Throws MalformedRequestError when the body as a whole cannot be decoded;
 * spans that decode but cannot be stored are counted in `rejected`.
 */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding, siteId: string): DecodedRows<SpanRow> {
  const request = encoding === 'protobuf' ? decodeTraceProtobuf(body) : decodeTraceJson(body);
  return traceRequestToRows(request, siteId);
}

export function decodeTraceProtobuf(body: Buffer): IExportTraceServiceRequest {
  try {
    return ExportTraceServiceRequest.decode(body) as unknown as IExportTraceServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid protobuf ExportTraceServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

export function decodeTraceJson(body: Buffer): IExportTraceServiceRequest {
  const parsed = parseOtlpJson(body);
  hexIdsToBytes(parsed);
  try {
    // fromObject takes enum names or numbers, int64 as strings or numbers,
    // and skips fields it does not know, as OTLP/JSON requires.
    return ExportTraceServiceRequest.fromObject(parsed) as unknown as IExportTraceServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid OTLP/JSON ExportTraceServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

// OTLP/JSON spells trace and span IDs in hex where proto3 JSON uses base64.
// Anything unexpected in the structure is left for fromObject to refuse.
function hexIdsToBytes(request: Record<string, unknown>): void {
  for (const resourceSpans of objectsIn(request, 'resourceSpans')) {
    for (const scopeSpans of objectsIn(resourceSpans, 'scopeSpans')) {
      for (const span of objectsIn(scopeSpans, 'spans')) {
        hexToBytes(span, 'traceId');
        hexToBytes(span, 'spanId');
        hexToBytes(span, 'parentSpanId');
        for (const link of objectsIn(span, 'links')) {
          hexToBytes(link, 'traceId');
          hexToBytes(link, 'spanId');
        }
      }
    }
  }
}

function hexToBytes(obj: Record<string, unknown>, field: string): void {
  const value = obj[field];
  if (typeof value === 'string') obj[field] = hexToIdBytes(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { ExportTraceServiceRequest } from '@justanalytics/proto';
import type { IExportTraceServiceRequest } from '@justanalytics/proto';
import type { SpanRow } from './span-row.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { hexFieldToBytes } from '../../decode/id-bytes.ts';
import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { OtlpEncoding } from '../../decode/otlp-encoding.ts';
import { objectsIn, parseOtlpJson } from '../../decode/parse-otlp-json.ts';
import { scanRequest } from '../../decode/request-scan.ts';
import type { RequestScan } from '../../decode/request-scan.ts';
import { traceRequestToRows } from './trace-request-to-rows.ts';
import { TRACE_WIRE_SCHEMA } from './trace-wire-schema.ts';

/**
 * Decodes an ExportTraceServiceRequest body, protobuf or OTLP/JSON, into span
 * rows of one site (unlike @justanalytics/proto's decodeTraceRequest, which
 * only turns protobuf bytes into the message):
 * scanTraceRequest, then decodeScannedTraceRequest. Throws
 * MalformedRequestError when the body as a whole cannot be decoded or is
 * over limits.maxRequestElements; spans that decode but cannot be stored are
 * counted in `rejected`.
 */
export function decodeSpanRows(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedRows<SpanRow> {
  scanTraceRequest(body, encoding, limits);
  return decodeScannedTraceRequest(body, encoding, siteId, limits);
}

/**
 * The counting pass over a trace request, before decoding: its elements and
 * the memory decoding it will take. Throws MalformedRequestError when it
 * cannot be decoded or is over limits.maxRequestElements.
 */
export function scanTraceRequest(body: Buffer, encoding: OtlpEncoding, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): RequestScan {
  return scanRequest(body, encoding, TRACE_WIRE_SCHEMA, limits);
}

/**
 * Decodes a body that scanTraceRequest accepted, applying the per-item
 * limits. On its own it does not check limits.maxRequestElements: protobufjs
 * and JSON.parse cannot stop halfway, so only the scan before it can.
 */
export function decodeScannedTraceRequest(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits): DecodedRows<SpanRow> {
  const request = encoding === 'protobuf' ? decodeTraceProtobuf(body) : decodeTraceJson(body);
  return traceRequestToRows(request, siteId, limits);
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
        hexFieldToBytes(span, 'traceId');
        hexFieldToBytes(span, 'spanId');
        hexFieldToBytes(span, 'parentSpanId');
        for (const link of objectsIn(span, 'links')) {
          hexFieldToBytes(link, 'traceId');
          hexFieldToBytes(link, 'spanId');
        }
      }
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { ExportTraceServiceRequest } from '@justanalytics/proto';
import type { IExportTraceServiceRequest } from '@justanalytics/proto';
import type { SpanRow } from '../rows/span-row.ts';
import { DEFAULT_DECODE_LIMITS } from './decode-limits.ts';
import type { DecodeLimits } from './decode-limits.ts';
import type { DecodedRows } from './decoded-rows.ts';
import { hexToIdBytes } from './id-bytes.ts';
import { MalformedRequestError } from './malformed-request-error.ts';
import type { OtlpEncoding } from './otlp-encoding.ts';
import { objectsIn, parseOtlpJson } from './parse-otlp-json.ts';
import { scanRequest } from './request-scan.ts';
import type { RequestScan } from './request-scan.ts';
import { traceRequestToRows } from './trace-request-to-rows.ts';
import { TRACE_WIRE_SCHEMA } from './trace-wire-schema.ts';

/**
 * Decodes an ExportTraceServiceRequest body into span rows of one site:
 * scanTraceRequest, then decodeScannedTraceRequest. Throws
 * MalformedRequestError when the body as a whole cannot be decoded or is
 * over limits.maxRequestElements; spans that decode but cannot be stored are
 * counted in `rejected`.
 */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding, siteId: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedRows<SpanRow> {
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
// An ID that is not a string at all (an array, {"length": 16}) would pass
// fromObject as is, and become that many zero bytes: it is made invalid too.
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
  else if (value !== undefined && value !== null) obj[field] = INVALID_ID;
}

/** One byte: a length no ID has, so the span or link carrying it is refused on its own. */
const INVALID_ID = Buffer.alloc(1);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

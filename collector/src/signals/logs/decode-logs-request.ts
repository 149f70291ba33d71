import { ExportLogsServiceRequest } from '@justanalytics/proto';
import type { IExportLogsServiceRequest } from '@justanalytics/proto';
import type { LogRow } from './log-row.ts';
import { DEFAULT_DECODE_LIMITS } from '../../decode/decode-limits.ts';
import type { DecodeLimits } from '../../decode/decode-limits.ts';
import type { DecodedRows } from '../../decode/decoded-rows.ts';
import { hexFieldToBytes } from '../../decode/id-bytes.ts';
import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { OtlpEncoding } from '../../decode/otlp-encoding.ts';
import { objectsIn, parseOtlpJson } from '../../decode/parse-otlp-json.ts';
import { scanRequest } from '../../decode/request-scan.ts';
import type { RequestScan } from '../../decode/request-scan.ts';
import { logRequestToRows } from './log-request-to-rows.ts';
import { LOGS_WIRE_SCHEMA } from './logs-wire-schema.ts';

/**
 * Decodes an ExportLogsServiceRequest body, protobuf or OTLP/JSON, into log
 * rows of one site: scanLogsRequest, then decodeScannedLogsRequest. Throws
 * MalformedRequestError when the body as a whole cannot be decoded or is
 * over limits.maxRequestElements; records that decode but cannot be stored
 * are counted in `rejected`. A record with neither time nor observed time is
 * ordered by `receivedAtUnixNano` (by default, now).
 */
export function decodeLogRows(
  body: Buffer,
  encoding: OtlpEncoding,
  siteId: string,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  receivedAtUnixNano: bigint = nowUnixNano(),
): DecodedRows<LogRow> {
  scanLogsRequest(body, encoding, limits);
  return decodeScannedLogsRequest(body, encoding, siteId, limits, receivedAtUnixNano);
}

/**
 * The counting pass over a logs request, before decoding: its elements and
 * the memory decoding it will take. Throws MalformedRequestError when it
 * cannot be decoded or is over limits.maxRequestElements.
 */
export function scanLogsRequest(body: Buffer, encoding: OtlpEncoding, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): RequestScan {
  return scanRequest(body, encoding, LOGS_WIRE_SCHEMA, limits);
}

/**
 * Decodes a body that scanLogsRequest accepted, applying the per-item
 * limits. On its own it does not check limits.maxRequestElements: protobufjs
 * and JSON.parse cannot stop halfway, so only the scan before it can.
 */
export function decodeScannedLogsRequest(
  body: Buffer,
  encoding: OtlpEncoding,
  siteId: string,
  limits: DecodeLimits,
  receivedAtUnixNano: bigint = nowUnixNano(),
): DecodedRows<LogRow> {
  const request = encoding === 'protobuf' ? decodeLogsProtobuf(body) : decodeLogsJson(body);
  return logRequestToRows(request, siteId, receivedAtUnixNano, limits);
}

export function decodeLogsProtobuf(body: Buffer): IExportLogsServiceRequest {
  try {
    return ExportLogsServiceRequest.decode(body) as unknown as IExportLogsServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid protobuf ExportLogsServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

export function decodeLogsJson(body: Buffer): IExportLogsServiceRequest {
  const parsed = parseOtlpJson(body);
  hexIdsToBytes(parsed);
  try {
    // fromObject takes enum names or numbers, int64 as strings or numbers,
    // and skips fields it does not know, as OTLP/JSON requires.
    return ExportLogsServiceRequest.fromObject(parsed) as unknown as IExportLogsServiceRequest;
  } catch (error) {
    throw new MalformedRequestError(`request body is not a valid OTLP/JSON ExportLogsServiceRequest: ${messageOf(error)}`, { cause: error });
  }
}

// OTLP/JSON spells trace and span IDs in hex where proto3 JSON uses base64.
// Anything unexpected in the structure is left for fromObject to refuse.
function hexIdsToBytes(request: Record<string, unknown>): void {
  for (const resourceLogs of objectsIn(request, 'resourceLogs')) {
    for (const scopeLogs of objectsIn(resourceLogs, 'scopeLogs')) {
      for (const record of objectsIn(scopeLogs, 'logRecords')) {
        hexFieldToBytes(record, 'traceId');
        hexFieldToBytes(record, 'spanId');
      }
    }
  }
}

/** Wall-clock now in nanoseconds: only milliseconds are real, which is all ordering a record without times needs. */
export function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

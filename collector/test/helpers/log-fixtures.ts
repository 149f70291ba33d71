// OTLP logs request builders shared by the logs tests (not a test file itself).
import { ExportLogsServiceRequest } from '@justanalytics/proto';
import { SPAN_ID_HEX, TRACE_ID_HEX } from './fixtures.ts';
import type { JsonObject } from './fixtures.ts';

export { SPAN_ID_HEX, TRACE_ID_HEX };

/** A log record with every field set (OTLP/JSON, hex IDs), with fields replaced by `overrides`. */
export function jsonLogRecord(overrides: JsonObject = {}): JsonObject {
  return {
    timeUnixNano: '1700000000123456789',
    observedTimeUnixNano: '1700000000223456789',
    severityNumber: 17,
    severityText: 'ERROR',
    body: { stringValue: 'payment failed' },
    attributes: [{ key: 'order.id', value: { intValue: '42' } }],
    droppedAttributesCount: 2,
    flags: 1,
    traceId: TRACE_ID_HEX,
    spanId: SPAN_ID_HEX,
    eventName: 'payment.failure',
    ...overrides,
  };
}

/** An OTLP/JSON ExportLogsServiceRequest holding `records` under one resource and scope. */
export function jsonLogsRequest(records: JsonObject[], resourceAttributes: JsonObject[] = [{ key: 'service.name', value: { stringValue: 'checkout' } }]): JsonObject {
  return {
    resourceLogs: [
      {
        resource: { attributes: resourceAttributes },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [{ scope: { name: 'test-scope', version: '1.0.0' }, schemaUrl: 'https://example.com/scope', logRecords: records }],
      },
    ],
  };
}

/** The protobuf encoding of a jsonLogsRequest-like request (hex IDs turned into bytes, as OTLP/JSON does). */
export function protobufLogsRequest(request: JsonObject): Buffer {
  const copy = structuredClone(request) as { resourceLogs?: { scopeLogs?: { logRecords?: JsonObject[] }[] }[] };
  for (const resourceLogs of copy.resourceLogs ?? []) {
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      for (const record of scopeLogs.logRecords ?? []) {
        for (const field of ['traceId', 'spanId']) {
          if (typeof record[field] === 'string') record[field] = Buffer.from(record[field] as string, 'hex');
        }
      }
    }
  }
  return Buffer.from(ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(copy)).finish());
}

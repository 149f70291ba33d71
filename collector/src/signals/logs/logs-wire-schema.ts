import { COMMON_MESSAGE_SHAPES } from '../../decode/otlp-common-shapes.ts';
import { compileWireSchema } from '../../decode/wire-schema.ts';
import type { SchemaShape, WireSchema } from '../../decode/wire-schema.ts';

// ExportLogsServiceRequest for the request scanners. Field numbers from
// proto/opentelemetry/proto/{collector/logs,logs}/v1/*.proto.
//
// The weights (`bytes`) were measured as trace-wire-schema.ts describes,
// Node 24 on x64, each shape in a process of its own under --expose-gc:
// heapUsed + arrayBuffers after gc(), before decoding and with protobufjs'
// message and the rows held (in OTLP/JSON also the parsed object); what
// request-scan.ts counts apart taken out, the rest per instance rounded up to
// 8 bytes. The shapes: 100,000 empty log records (308 bytes each from
// protobuf, 365 from OTLP/JSON: the record's weight); the same with only a
// trace_id (176 and 98 more), only a span_id (185 and 131 more), only both
// times (143 and 90 more for the two: a Long and a bigint each), only an empty
// body (within 8 bytes of the AnyValue weight the traces measured). Estimate
// over measure with these weights: 1.01 on the empty records, 1.01–1.02 from
// protobuf and 1.06–1.15 from OTLP/JSON on the other shapes (the JSON
// estimate also holds the body's text, which the measure does not), and on
// 10,000 typical records (both times, severity, a 30-character string body,
// three attributes, both IDs: 177 protobuf bytes each, decoding to 1,970)
// 1.16 from protobuf and 1.38 from OTLP/JSON. The shared messages
// (KeyValue, AnyValue, Resource, …) keep their weights from
// otlp-common-shapes.ts.

/** The logs request's messages, as written. */
export const LOGS_SCHEMA_SHAPE: SchemaShape = {
  root: 'ExportLogsServiceRequest',
  messages: {
    ...COMMON_MESSAGE_SHAPES,
    ExportLogsServiceRequest: {
      bytes: { protobuf: 64, json: 64 },
      fields: { resourceLogs: { number: 1, message: 'ResourceLogs', repeated: true } },
    },
    ResourceLogs: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        resource: { number: 1, message: 'Resource' },
        scopeLogs: { number: 2, message: 'ScopeLogs', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    ScopeLogs: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        scope: { number: 1, message: 'InstrumentationScope' },
        logRecords: { number: 2, message: 'LogRecord', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    LogRecord: {
      bytes: { protobuf: 312, json: 368 },
      fields: {
        timeUnixNano: { number: 1, scalar: 'fixed64', bytes: { protobuf: 72, json: 48 } },
        observedTimeUnixNano: { number: 11, scalar: 'fixed64', bytes: { protobuf: 72, json: 48 } },
        severityNumber: { number: 2, scalar: 'varint32' },
        severityText: { number: 3, scalar: 'string' },
        body: { number: 5, message: 'AnyValue' },
        attributes: { number: 6, message: 'KeyValue', repeated: true },
        droppedAttributesCount: { number: 7, scalar: 'varint32' },
        flags: { number: 8, scalar: 'fixed32' },
        traceId: { number: 9, scalar: 'bytes', bytes: { protobuf: 176, json: 104 } },
        spanId: { number: 10, scalar: 'bytes', bytes: { protobuf: 192, json: 136 } },
        eventName: { number: 12, scalar: 'string' },
      },
    },
  },
};

/** The logs request's messages, compiled for scanProtobuf and scanJson. */
export const LOGS_WIRE_SCHEMA: WireSchema = compileWireSchema(LOGS_SCHEMA_SHAPE);

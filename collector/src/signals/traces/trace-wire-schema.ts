import { COMMON_MESSAGE_SHAPES } from '../../decode/otlp-common-shapes.ts';
import { compileWireSchema } from '../../decode/wire-schema.ts';
import type { SchemaShape, WireSchema } from '../../decode/wire-schema.ts';

// ExportTraceServiceRequest for the request scanners. Field numbers from
// proto/opentelemetry/proto/{collector/trace,trace}/v1/*.proto.
//
// How the weights (`bytes`, here and in otlp-common-shapes.ts) were measured,
// Node 24 on x64: for each message, a request holding 100,000 of it and as
// little else as possible (100,000 minimal spans; one span with 100,000 empty
// attributes; the same with an empty value, an int, a double, bytes, an empty
// array or kvlist; 100,000 events, links, scopes, resources, entity refs; one-
// item arrays nested 20 deep), each in a process of its own under
// --expose-gc: process.memoryUsage() heapUsed + arrayBuffers after gc(),
// before decoding and with everything decoding built still held (protobufjs'
// message and the rows; in OTLP/JSON also the parsed object, which stays
// alive while fromObject runs). What request-scan.ts counts apart (string
// headers and characters, element slots, array stores) was taken out, and
// each message got the rest per instance, rounded up to 8 bytes; then each
// shape's estimate was checked against its measure: 0.99–1.05 on the shapes
// the weights came from, up to 1.5 where the weights are an upper bound (an
// empty value, short strings), 1.25 on the bench's HTTP server spans (9× the
// protobuf body measured, 11× estimated; 6.3× and 7.9× in OTLP/JSON). The
// costliest element is a span: 1,100 bytes for a minimal one (48 on the wire).

/** The trace request's messages, as written. */
export const TRACE_SCHEMA_SHAPE: SchemaShape = {
  root: 'ExportTraceServiceRequest',
  messages: {
    ...COMMON_MESSAGE_SHAPES,
    ExportTraceServiceRequest: {
      bytes: { protobuf: 64, json: 64 },
      fields: { resourceSpans: { number: 1, message: 'ResourceSpans', repeated: true } },
    },
    ResourceSpans: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        resource: { number: 1, message: 'Resource' },
        scopeSpans: { number: 2, message: 'ScopeSpans', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    ScopeSpans: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        scope: { number: 1, message: 'InstrumentationScope' },
        spans: { number: 2, message: 'Span', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    Span: {
      bytes: { protobuf: 984, json: 920 },
      fields: {
        traceId: { number: 1, scalar: 'bytes' },
        spanId: { number: 2, scalar: 'bytes' },
        traceState: { number: 3, scalar: 'string' },
        parentSpanId: { number: 4, scalar: 'bytes', bytes: { protobuf: 184, json: 152 } },
        flags: { number: 16, scalar: 'fixed32' },
        name: { number: 5, scalar: 'string' },
        kind: { number: 6, scalar: 'varint32' },
        startTimeUnixNano: { number: 7, scalar: 'fixed64' },
        endTimeUnixNano: { number: 8, scalar: 'fixed64' },
        attributes: { number: 9, message: 'KeyValue', repeated: true },
        droppedAttributesCount: { number: 10, scalar: 'varint32' },
        events: { number: 11, message: 'Event', repeated: true },
        droppedEventsCount: { number: 12, scalar: 'varint32' },
        links: { number: 13, message: 'Link', repeated: true },
        droppedLinksCount: { number: 14, scalar: 'varint32' },
        status: { number: 15, message: 'Status' },
      },
    },
    Event: {
      bytes: { protobuf: 280, json: 296 },
      fields: {
        timeUnixNano: { number: 1, scalar: 'fixed64' },
        name: { number: 2, scalar: 'string' },
        attributes: { number: 3, message: 'KeyValue', repeated: true },
        droppedAttributesCount: { number: 4, scalar: 'varint32' },
      },
    },
    Link: {
      bytes: { protobuf: 408, json: 360 },
      fields: {
        traceId: { number: 1, scalar: 'bytes' },
        spanId: { number: 2, scalar: 'bytes' },
        traceState: { number: 3, scalar: 'string' },
        attributes: { number: 4, message: 'KeyValue', repeated: true },
        droppedAttributesCount: { number: 5, scalar: 'varint32' },
        flags: { number: 6, scalar: 'fixed32' },
      },
    },
    Status: {
      bytes: { protobuf: 40, json: 72 },
      fields: {
        message: { number: 2, scalar: 'string' },
        code: { number: 3, scalar: 'varint32' },
      },
    },
  },
};

/** The trace request's messages, compiled for scanProtobuf and scanJson. */
export const TRACE_WIRE_SCHEMA: WireSchema = compileWireSchema(TRACE_SCHEMA_SHAPE);

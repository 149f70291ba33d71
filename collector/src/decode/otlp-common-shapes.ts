import type { MessageShape } from './wire-schema.ts';

// The messages of opentelemetry/proto/common/v1 and resource/v1 that every
// signal's request holds, for the signals' wire schemas (signals/traces/trace-wire-schema.ts).
// Field numbers from proto/opentelemetry/proto/{common,resource}/v1/*.proto.
//
// `bytes` is what one decoded instance costs, measured as described in
// signals/traces/trace-wire-schema.ts: protobufjs' message and the OTLP/JSON row form
// (any-value.ts) together, and in OTLP/JSON the parsed object too.

export const COMMON_MESSAGE_SHAPES: Readonly<Record<string, MessageShape>> = {
  KeyValue: {
    bytes: { protobuf: 120, json: 176 },
    fields: {
      key: { number: 1, scalar: 'string' },
      value: { number: 2, message: 'AnyValue' },
    },
  },
  AnyValue: {
    bytes: { protobuf: 80, json: 136 },
    value: true,
    fields: {
      stringValue: { number: 1, scalar: 'string' },
      boolValue: { number: 2, scalar: 'varint32' },
      intValue: { number: 3, scalar: 'varint64', bytes: { protobuf: 16, json: 0 } },
      doubleValue: { number: 4, scalar: 'fixed64' },
      arrayValue: { number: 5, message: 'ArrayValue' },
      kvlistValue: { number: 6, message: 'KeyValueList' },
      bytesValue: { number: 7, scalar: 'bytes', bytes: { protobuf: 136, json: 72 } },
    },
  },
  ArrayValue: {
    bytes: { protobuf: 64, json: 56 },
    fields: { values: { number: 1, message: 'AnyValue', repeated: true } },
  },
  KeyValueList: {
    bytes: { protobuf: 64, json: 56 },
    fields: { values: { number: 1, message: 'KeyValue', repeated: true } },
  },
  InstrumentationScope: {
    bytes: { protobuf: 104, json: 168 },
    fields: {
      name: { number: 1, scalar: 'string' },
      version: { number: 2, scalar: 'string' },
      attributes: { number: 3, message: 'KeyValue', repeated: true },
      droppedAttributesCount: { number: 4, scalar: 'varint32' },
    },
  },
  EntityRef: {
    bytes: { protobuf: 96, json: 152 },
    fields: {
      schemaUrl: { number: 1, scalar: 'string' },
      type: { number: 2, scalar: 'string' },
      idKeys: { number: 3, scalar: 'string', repeated: true },
      descriptionKeys: { number: 4, scalar: 'string', repeated: true },
    },
  },
  Resource: {
    bytes: { protobuf: 112, json: 168 },
    fields: {
      attributes: { number: 1, message: 'KeyValue', repeated: true },
      droppedAttributesCount: { number: 2, scalar: 'varint32' },
      entityRefs: { number: 3, message: 'EntityRef', repeated: true },
    },
  },
};

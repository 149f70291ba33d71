import { COMMON_MESSAGE_SHAPES } from '../../decode/otlp-common-shapes.ts';
import { compileWireSchema } from '../../decode/wire-schema.ts';
import type { SchemaShape, WireSchema } from '../../decode/wire-schema.ts';

// ExportMetricsServiceRequest for the request scanners. Field numbers from
// proto/opentelemetry/proto/{collector/metrics,metrics}/v1/*.proto; the
// nested messages under their short names (Buckets, ValueAtQuantile), as
// protobufjs names them.
//
// The weights (`bytes`) were measured as trace-wire-schema.ts describes,
// Node 24 on x64, each shape in a process of its own under --expose-gc:
// heapUsed + arrayBuffers after gc(), before decoding and with protobufjs'
// message and the rows held (in OTLP/JSON also the parsed object); what
// request-scan.ts counts apart taken out, the rest per instance rounded up to
// 8 bytes. The shapes: 100,000 metrics with a name only, with an empty gauge,
// sum or histogram (the five data messages take the largest); 100,000
// points of each type with only a time (the point's weight: its row and its
// message); the same with one field more each (start time, as_int, as_double,
// count with sum, min and max, zero_count, a positive bucket range); one point
// with 100,001 bucket counts and 100,000 bounds, 100,000 exponential bucket
// counts, 100,000 quantiles, 100,000 exemplars (with a time only, then with a
// trace ID, a span ID, as_int, as_double). Each field's weight is what its
// shape measured over the one before. Estimate over measure: 0.99–1.03 on
// the point and exemplar shapes, 1.03–1.31 on the metric-only shapes (their
// one-letter names are strings V8 shares, and JSON.parse shares repeated
// keys), 1.02–1.13 on the bucket shapes,
// and on a typical request (10,000 cumulative int sums with three
// attributes, 2,000 histograms with 16 buckets: 163 protobuf bytes a point,
// decoding to 1,820) 1.21 from protobuf and OTLP/JSON alike. The costliest
// element is a data point, 550 to 1,000 bytes with its row; bucket counts and
// bounds are elements one by one (a packed run of them is no cheaper to
// decode than it is to send). The shared messages keep their weights from
// otlp-common-shapes.ts.

// What one occurrence of a field adds (see above): a start time or an int64
// value (a Long, then a bigint), a count, a double (a heap number in the
// message and in the row).
const START_TIME = { protobuf: 64, json: 16 } as const;
const INT_VALUE = { protobuf: 80, json: 48 } as const;
const COUNT = { protobuf: 72, json: 48 } as const;
const ZERO_COUNT = { protobuf: 72, json: 32 } as const;
const DOUBLE = { protobuf: 40, json: 48 } as const;
const BUCKET_COUNT = { protobuf: 72, json: 40 } as const;
// An exemplar's value is added to its OTLP/JSON object after the object is
// made (a property out of the object's own slots), and as_int is kept as a
// decimal string.
const EXEMPLAR_INT = { protobuf: 120, json: 88 } as const;
const EXEMPLAR_DOUBLE = { protobuf: 80, json: 80 } as const;

/** The metrics request's messages, as written. */
export const METRICS_SCHEMA_SHAPE: SchemaShape = {
  root: 'ExportMetricsServiceRequest',
  messages: {
    ...COMMON_MESSAGE_SHAPES,
    ExportMetricsServiceRequest: {
      bytes: { protobuf: 64, json: 64 },
      fields: { resourceMetrics: { number: 1, message: 'ResourceMetrics', repeated: true } },
    },
    ResourceMetrics: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        resource: { number: 1, message: 'Resource' },
        scopeMetrics: { number: 2, message: 'ScopeMetrics', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    ScopeMetrics: {
      bytes: { protobuf: 56, json: 112 },
      fields: {
        scope: { number: 1, message: 'InstrumentationScope' },
        metrics: { number: 2, message: 'Metric', repeated: true },
        schemaUrl: { number: 3, scalar: 'string' },
      },
    },
    Metric: {
      bytes: { protobuf: 40, json: 56 },
      fields: {
        name: { number: 1, scalar: 'string' },
        description: { number: 2, scalar: 'string' },
        unit: { number: 3, scalar: 'string' },
        gauge: { number: 5, message: 'Gauge' },
        sum: { number: 7, message: 'Sum' },
        histogram: { number: 9, message: 'Histogram' },
        exponentialHistogram: { number: 10, message: 'ExponentialHistogram' },
        summary: { number: 11, message: 'Summary' },
        metadata: { number: 12, message: 'KeyValue', repeated: true },
      },
    },
    Gauge: {
      bytes: { protobuf: 88, json: 120 },
      fields: { dataPoints: { number: 1, message: 'NumberDataPoint', repeated: true } },
    },
    Sum: {
      bytes: { protobuf: 88, json: 120 },
      fields: {
        dataPoints: { number: 1, message: 'NumberDataPoint', repeated: true },
        aggregationTemporality: { number: 2, scalar: 'varint32' },
        isMonotonic: { number: 3, scalar: 'varint32' },
      },
    },
    Histogram: {
      bytes: { protobuf: 88, json: 120 },
      fields: {
        dataPoints: { number: 1, message: 'HistogramDataPoint', repeated: true },
        aggregationTemporality: { number: 2, scalar: 'varint32' },
      },
    },
    ExponentialHistogram: {
      bytes: { protobuf: 88, json: 120 },
      fields: {
        dataPoints: { number: 1, message: 'ExponentialHistogramDataPoint', repeated: true },
        aggregationTemporality: { number: 2, scalar: 'varint32' },
      },
    },
    Summary: {
      bytes: { protobuf: 88, json: 120 },
      fields: { dataPoints: { number: 1, message: 'SummaryDataPoint', repeated: true } },
    },
    NumberDataPoint: {
      bytes: { protobuf: 520, json: 496 },
      fields: {
        attributes: { number: 7, message: 'KeyValue', repeated: true },
        startTimeUnixNano: { number: 2, scalar: 'fixed64', bytes: START_TIME },
        timeUnixNano: { number: 3, scalar: 'fixed64' },
        asDouble: { number: 4, scalar: 'fixed64', bytes: DOUBLE },
        asInt: { number: 6, scalar: 'fixed64', bytes: INT_VALUE },
        exemplars: { number: 5, message: 'Exemplar', repeated: true },
        flags: { number: 8, scalar: 'varint32' },
      },
    },
    HistogramDataPoint: {
      bytes: { protobuf: 680, json: 656 },
      fields: {
        attributes: { number: 9, message: 'KeyValue', repeated: true },
        startTimeUnixNano: { number: 2, scalar: 'fixed64', bytes: START_TIME },
        timeUnixNano: { number: 3, scalar: 'fixed64' },
        count: { number: 4, scalar: 'fixed64', bytes: COUNT },
        sum: { number: 5, scalar: 'fixed64', bytes: DOUBLE },
        bucketCounts: { number: 6, scalar: 'fixed64', repeated: true, bytes: BUCKET_COUNT },
        explicitBounds: { number: 7, scalar: 'fixed64', repeated: true },
        exemplars: { number: 8, message: 'Exemplar', repeated: true },
        flags: { number: 10, scalar: 'varint32' },
        min: { number: 11, scalar: 'fixed64', bytes: DOUBLE },
        max: { number: 12, scalar: 'fixed64', bytes: DOUBLE },
      },
    },
    ExponentialHistogramDataPoint: {
      bytes: { protobuf: 744, json: 728 },
      fields: {
        attributes: { number: 1, message: 'KeyValue', repeated: true },
        startTimeUnixNano: { number: 2, scalar: 'fixed64', bytes: START_TIME },
        timeUnixNano: { number: 3, scalar: 'fixed64' },
        count: { number: 4, scalar: 'fixed64', bytes: COUNT },
        sum: { number: 5, scalar: 'fixed64', bytes: DOUBLE },
        scale: { number: 6, scalar: 'varint32' },
        zeroCount: { number: 7, scalar: 'fixed64', bytes: ZERO_COUNT },
        positive: { number: 8, message: 'Buckets' },
        negative: { number: 9, message: 'Buckets' },
        flags: { number: 10, scalar: 'varint32' },
        exemplars: { number: 11, message: 'Exemplar', repeated: true },
        min: { number: 12, scalar: 'fixed64', bytes: DOUBLE },
        max: { number: 13, scalar: 'fixed64', bytes: DOUBLE },
        zeroThreshold: { number: 14, scalar: 'fixed64', bytes: DOUBLE },
      },
    },
    Buckets: {
      bytes: { protobuf: 80, json: 80 },
      fields: {
        offset: { number: 1, scalar: 'varint32' },
        bucketCounts: { number: 2, scalar: 'varint64', repeated: true, bytes: BUCKET_COUNT },
      },
    },
    SummaryDataPoint: {
      bytes: { protobuf: 568, json: 544 },
      fields: {
        attributes: { number: 7, message: 'KeyValue', repeated: true },
        startTimeUnixNano: { number: 2, scalar: 'fixed64', bytes: START_TIME },
        timeUnixNano: { number: 3, scalar: 'fixed64' },
        count: { number: 4, scalar: 'fixed64', bytes: COUNT },
        sum: { number: 5, scalar: 'fixed64', bytes: DOUBLE },
        quantileValues: { number: 6, message: 'ValueAtQuantile', repeated: true },
        flags: { number: 8, scalar: 'varint32' },
      },
    },
    ValueAtQuantile: {
      bytes: { protobuf: 144, json: 168 },
      fields: {
        quantile: { number: 1, scalar: 'fixed64' },
        value: { number: 2, scalar: 'fixed64' },
      },
    },
    Exemplar: {
      bytes: { protobuf: 248, json: 224 },
      fields: {
        filteredAttributes: { number: 7, message: 'KeyValue', repeated: true },
        timeUnixNano: { number: 2, scalar: 'fixed64' },
        asDouble: { number: 3, scalar: 'fixed64', bytes: EXEMPLAR_DOUBLE },
        asInt: { number: 6, scalar: 'fixed64', bytes: EXEMPLAR_INT },
        spanId: { number: 4, scalar: 'bytes', bytes: { protobuf: 104, json: 88 } },
        traceId: { number: 5, scalar: 'bytes', bytes: { protobuf: 104, json: 64 } },
      },
    },
  },
};

/** The metrics request's messages, compiled for scanProtobuf and scanJson. */
export const METRICS_WIRE_SCHEMA: WireSchema = compileWireSchema(METRICS_SCHEMA_SHAPE);

// Shapes of OTLP messages as ExportXServiceRequest.decode() returns them
// (protobufjs reflection, lowerCamelCase names).
//
// How protobufjs fills a decoded message:
// - Repeated fields are always own arrays (empty when absent).
// - Scalars absent from the wire are not own properties but read through the
//   prototype default: "" for strings, 0 / false, an unsigned or signed Long
//   zero for 64-bit fields, an empty array (not a Uint8Array) for bytes, and
//   the zero number for enums. They are typed as always present.
// - Message fields absent from the wire read as null.
// - Oneof members also have prototype defaults, so reading a member does not
//   tell whether it was set: use the oneof's name property (`value`, `data`),
//   which names the member that was on the wire or is undefined. Members are
//   typed optional to force that check.
// - proto3 `optional` fields (HistogramDataPoint.sum, min, max, ...) read as
//   null when absent.
// - 64-bit integers are Long objects (from the `long` package protobufjs uses);
//   protobufjs falls back to numbers only when `long` is missing. Convert with
//   longToBigInt(), never with Number(): nanosecond times exceed 2^53.
import type { Long } from 'protobufjs';

/** A 64-bit integer as decoded: a Long (usually) or a plain number. */
export type Int64 = Long | number;

/**
 * A bytes field as decoded: a Uint8Array (a Buffer under Node) when present,
 * an empty array when absent from the wire.
 */
export type Bytes = Uint8Array | readonly [];

// ---- common/v1 ----

/** Names the AnyValue member that was present on the wire. */
export type AnyValueKind = 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';

export interface IAnyValue {
  /** Which member is set; undefined for an empty value. */
  value?: AnyValueKind;
  stringValue?: string;
  boolValue?: boolean;
  /** Signed (Long.unsigned is false). */
  intValue?: Int64;
  /** May be NaN or ±Infinity. */
  doubleValue?: number;
  arrayValue?: IArrayValue | null;
  kvlistValue?: IKeyValueList | null;
  bytesValue?: Bytes;
}

export interface IArrayValue {
  values: IAnyValue[];
}

export interface IKeyValueList {
  values: IKeyValue[];
}

export interface IKeyValue {
  key: string;
  /** null when the pair carries no value at all. */
  value: IAnyValue | null;
}

export interface IInstrumentationScope {
  name: string;
  version: string;
  attributes: IKeyValue[];
  droppedAttributesCount: number;
}

/** Status: [Development] upstream. */
export interface IEntityRef {
  schemaUrl: string;
  type: string;
  idKeys: string[];
  descriptionKeys: string[];
}

// ---- resource/v1 ----

export interface IResource {
  attributes: IKeyValue[];
  droppedAttributesCount: number;
  entityRefs: IEntityRef[];
}

// ---- trace/v1 ----

/** Span.SpanKind numbers. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;

/** Status.StatusCode numbers. */
export const StatusCode = {
  UNSET: 0,
  OK: 1,
  ERROR: 2,
} as const;

/** SpanFlags bit masks for Span.flags and Span.Link.flags. */
export const SpanFlags = {
  TRACE_FLAGS_MASK: 0xff,
  CONTEXT_HAS_IS_REMOTE_MASK: 0x100,
  CONTEXT_IS_REMOTE_MASK: 0x200,
} as const;

export interface IStatus {
  message: string;
  /** A StatusCode number; unknown numbers pass through unchanged. */
  code: number;
}

export interface ISpanEvent {
  /** Unsigned, Unix epoch nanoseconds. */
  timeUnixNano: Int64;
  name: string;
  attributes: IKeyValue[];
  droppedAttributesCount: number;
}

export interface ISpanLink {
  traceId: Bytes;
  spanId: Bytes;
  traceState: string;
  attributes: IKeyValue[];
  droppedAttributesCount: number;
  /** fixed32 bit field, see SpanFlags. */
  flags: number;
}

export interface ISpan {
  traceId: Bytes;
  spanId: Bytes;
  traceState: string;
  /** Empty for a root span. */
  parentSpanId: Bytes;
  /** fixed32 bit field, see SpanFlags. */
  flags: number;
  name: string;
  /** A SpanKind number; unknown numbers pass through unchanged. */
  kind: number;
  /** Unsigned, Unix epoch nanoseconds. */
  startTimeUnixNano: Int64;
  /** Unsigned, Unix epoch nanoseconds. */
  endTimeUnixNano: Int64;
  attributes: IKeyValue[];
  droppedAttributesCount: number;
  events: ISpanEvent[];
  droppedEventsCount: number;
  links: ISpanLink[];
  droppedLinksCount: number;
  /** null when absent (meaning STATUS_CODE_UNSET). */
  status: IStatus | null;
}

export interface IScopeSpans {
  scope: IInstrumentationScope | null;
  spans: ISpan[];
  schemaUrl: string;
}

export interface IResourceSpans {
  resource: IResource | null;
  scopeSpans: IScopeSpans[];
  schemaUrl: string;
}

export interface IExportTraceServiceRequest {
  resourceSpans: IResourceSpans[];
}

export interface IExportTracePartialSuccess {
  /** Signed. */
  rejectedSpans: Int64;
  errorMessage: string;
}

export interface IExportTraceServiceResponse {
  partialSuccess: IExportTracePartialSuccess | null;
}

// ---- logs/v1 ----

/** LogRecordFlags bit masks for LogRecord.flags. */
export const LogRecordFlags = {
  TRACE_FLAGS_MASK: 0xff,
} as const;

export interface ILogRecord {
  /** Unsigned, Unix epoch nanoseconds; zero when unknown. */
  timeUnixNano: Int64;
  /** Unsigned, Unix epoch nanoseconds. */
  observedTimeUnixNano: Int64;
  /** A SeverityNumber (0-24); unknown numbers pass through unchanged. */
  severityNumber: number;
  severityText: string;
  body: IAnyValue | null;
  attributes: IKeyValue[];
  droppedAttributesCount: number;
  /** fixed32 bit field, see LogRecordFlags. */
  flags: number;
  traceId: Bytes;
  spanId: Bytes;
  eventName: string;
}

export interface IScopeLogs {
  scope: IInstrumentationScope | null;
  logRecords: ILogRecord[];
  schemaUrl: string;
}

export interface IResourceLogs {
  resource: IResource | null;
  scopeLogs: IScopeLogs[];
  schemaUrl: string;
}

export interface IExportLogsServiceRequest {
  resourceLogs: IResourceLogs[];
}

export interface IExportLogsPartialSuccess {
  /** Signed. */
  rejectedLogRecords: Int64;
  errorMessage: string;
}

export interface IExportLogsServiceResponse {
  partialSuccess: IExportLogsPartialSuccess | null;
}

// ---- metrics/v1 ----

/** AggregationTemporality numbers. */
export const AggregationTemporality = {
  UNSPECIFIED: 0,
  DELTA: 1,
  CUMULATIVE: 2,
} as const;

/** DataPointFlags bit masks for the data points' flags. */
export const DataPointFlags = {
  NO_RECORDED_VALUE_MASK: 1,
} as const;

export interface IExemplar {
  filteredAttributes: IKeyValue[];
  /** Unsigned, Unix epoch nanoseconds. */
  timeUnixNano: Int64;
  /** Which member is set; undefined when neither is. */
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  /** Signed. */
  asInt?: Int64;
  spanId: Bytes;
  traceId: Bytes;
}

export interface INumberDataPoint {
  attributes: IKeyValue[];
  /** Unsigned, Unix epoch nanoseconds. */
  startTimeUnixNano: Int64;
  /** Unsigned, Unix epoch nanoseconds. */
  timeUnixNano: Int64;
  /** Which member is set; undefined when neither is. */
  value?: 'asDouble' | 'asInt';
  asDouble?: number;
  /** Signed. */
  asInt?: Int64;
  exemplars: IExemplar[];
  flags: number;
}

export interface IHistogramDataPoint {
  attributes: IKeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  /** Unsigned. */
  count: Int64;
  /** null when absent. */
  sum: number | null;
  /** Unsigned each. */
  bucketCounts: Int64[];
  explicitBounds: number[];
  exemplars: IExemplar[];
  flags: number;
  /** null when absent. */
  min: number | null;
  /** null when absent. */
  max: number | null;
}

export interface IExponentialHistogramBuckets {
  offset: number;
  /** Unsigned each. */
  bucketCounts: Int64[];
}

export interface IExponentialHistogramDataPoint {
  attributes: IKeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  /** Unsigned. */
  count: Int64;
  /** null when absent. */
  sum: number | null;
  scale: number;
  /** Unsigned. */
  zeroCount: Int64;
  positive: IExponentialHistogramBuckets | null;
  negative: IExponentialHistogramBuckets | null;
  flags: number;
  exemplars: IExemplar[];
  /** null when absent. */
  min: number | null;
  /** null when absent. */
  max: number | null;
  zeroThreshold: number;
}

export interface IValueAtQuantile {
  quantile: number;
  value: number;
}

export interface ISummaryDataPoint {
  attributes: IKeyValue[];
  startTimeUnixNano: Int64;
  timeUnixNano: Int64;
  /** Unsigned. */
  count: Int64;
  sum: number;
  quantileValues: IValueAtQuantile[];
  flags: number;
}

export interface IGauge {
  dataPoints: INumberDataPoint[];
}

export interface ISum {
  dataPoints: INumberDataPoint[];
  aggregationTemporality: number;
  isMonotonic: boolean;
}

export interface IHistogram {
  dataPoints: IHistogramDataPoint[];
  aggregationTemporality: number;
}

export interface IExponentialHistogram {
  dataPoints: IExponentialHistogramDataPoint[];
  aggregationTemporality: number;
}

export interface ISummary {
  dataPoints: ISummaryDataPoint[];
}

export type MetricDataKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';

export interface IMetric {
  name: string;
  description: string;
  unit: string;
  /** Which member is set; undefined when none is. */
  data?: MetricDataKind;
  gauge?: IGauge | null;
  sum?: ISum | null;
  histogram?: IHistogram | null;
  exponentialHistogram?: IExponentialHistogram | null;
  summary?: ISummary | null;
  metadata: IKeyValue[];
}

export interface IScopeMetrics {
  scope: IInstrumentationScope | null;
  metrics: IMetric[];
  schemaUrl: string;
}

export interface IResourceMetrics {
  resource: IResource | null;
  scopeMetrics: IScopeMetrics[];
  schemaUrl: string;
}

export interface IExportMetricsServiceRequest {
  resourceMetrics: IResourceMetrics[];
}

export interface IExportMetricsPartialSuccess {
  /** Signed. */
  rejectedDataPoints: Int64;
  errorMessage: string;
}

export interface IExportMetricsServiceResponse {
  partialSuccess: IExportMetricsPartialSuccess | null;
}

// ---- google.rpc ----

export interface IAny {
  typeUrl: string;
  value: Bytes;
}

/** google.rpc.Status as decoded. */
export interface IRpcStatus {
  /** A gRPC status code. */
  code: number;
  message: string;
  details: IAny[];
}

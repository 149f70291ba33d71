// Public entry of @justanalytics/collector: row types and the sink contract
// shared with the backend, the OTLP decoders, and the receivers.

// The shared model (also @justanalytics/collector/model)
export type {
  AnyValueJson,
  ExemplarJson,
  ExponentialBuckets,
  ExponentialHistogramValue,
  KeyValueJson,
  KeyResolver,
  LogException,
  LogRow,
  MetricPointRow,
  MetricType,
  ResolvedKey,
  ResourceJson,
  Scope,
  ScopeJson,
  SpanEventJson,
  SpanLinkJson,
  SpanRow,
  SummaryQuantile,
} from './model/index.ts';
export { NO_RECORDED_VALUE, Temporality, bytesToHex, knownScopes, parseBearer, traceIdFromHex } from './model/index.ts';

// Analytics rows and the enrich interfaces the backend implements
export type { EventOrigin, EventRow, PropValue } from './signals/events/event-row.ts';
export type { IdentityRow } from './signals/events/identity-row.ts';
export type { DropCounter, DropReason, GeoLocation, GeoLookup, Salts, SaltSource, SiteDirectory, SiteSettings } from './enrich/site-settings.ts';
export { dropReasons } from './enrich/site-settings.ts';
// The store moves an identified anonymous ID's events to its user's visitor: the same hash.
export { serverVisitorId } from './enrich/visitor-id.ts';
// The backend validates a site's excluded IPs with the collector's own parser.
export { parseIpRule } from './enrich/ip-rules.ts';

// Sink contract and its test doubles
export type { RowBatch, SignalRows, Sink, WriteResult } from './sink/sink.ts';
export { SinkOverloadedError, SinkUnavailableError } from './sink/sink.ts';
export { MemorySink } from './sink/memory-sink.ts';
export { NopSink } from './sink/nop-sink.ts';
export { ErrorSink } from './sink/error-sink.ts';

// Keys
export { StaticKeyResolver } from './auth/static-key-resolver.ts';
export type { FailedAuthLimiterOptions } from './auth/failed-auth-limiter.ts';
export { FailedAuthLimiter, DEFAULT_FAILURES_PER_SECOND, DEFAULT_FAILURE_BURST, DEFAULT_MAX_FAILING_CLIENTS } from './auth/failed-auth-limiter.ts';

// Decode
export type { OtlpEncoding } from './decode/otlp-encoding.ts';
export type { DecodedRows } from './decode/decoded-rows.ts';
export { MalformedRequestError } from './decode/malformed-request-error.ts';
export type { DecodeLimits } from './decode/decode-limits.ts';
export { DEFAULT_DECODE_LIMITS, decodeLimitsOf } from './decode/decode-limits.ts';
export type { RequestScan } from './decode/request-scan.ts';
export { scanRequest } from './decode/request-scan.ts';
export type { FieldShape, MessageShape, ScalarKind, SchemaShape, WireCounts, WireSchema } from './decode/wire-schema.ts';
export { compileWireSchema } from './decode/wire-schema.ts';
export { scanProtobuf } from './decode/wire-scan.ts';
export { scanJson } from './decode/json-scan.ts';
export { sanitizeString } from './decode/sanitize-string.ts';
export { UNKNOWN_SERVICE } from './decode/promoted-attributes.ts';

// Receivers
export type { ErrorKind } from './receivers/errors.ts';
export { ReceiverError, classifyError, httpStatusOf, grpcCodeOf, retryAfterHeaderOf, encodeRpcStatus } from './receivers/errors.ts';
export type { Signal, RowOf, SignalDescriptor } from './receivers/signal.ts';
export type { Authenticate, IngestCredentials } from './receivers/authenticate.ts';
export { authenticateIngest } from './receivers/authenticate.ts';
export type { ExportCall, ExportContext, ReserveBytes } from './receivers/export.ts';
export { exportSignal } from './receivers/export.ts';
export { InFlight } from './receivers/in-flight.ts';
export { MemoryBudget, MemoryReservation } from './receivers/memory-budget.ts';
export type { ContentEncoding } from './receivers/read-body.ts';
export { parseContentEncoding, readBody } from './receivers/read-body.ts';
export type { OtlpHttpOptions, OtlpHttpServerOptions } from './receivers/otlp-http.ts';
export { otlpHttpPlugin, createOtlpHttpServer } from './receivers/otlp-http.ts';
export type { OtlpGrpcOptions, OtlpGrpcServer } from './receivers/otlp-grpc.ts';
export { createOtlpGrpcServer } from './receivers/otlp-grpc.ts';
export {
  DEFAULT_GRPC_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
} from './receivers/defaults.ts';
// Signals
export { otlpSignals } from './signals/index.ts';
export { tracesSignal } from './signals/traces/traces-signal.ts';
export { decodeSpanRows, decodeTraceProtobuf, decodeTraceJson, scanTraceRequest, decodeScannedTraceRequest } from './signals/traces/decode-trace-request.ts';
export { TRACE_WIRE_SCHEMA } from './signals/traces/trace-wire-schema.ts';
export { traceRequestToRows } from './signals/traces/trace-request-to-rows.ts';
export { logsSignal } from './signals/logs/logs-signal.ts';
export { decodeLogRows, decodeLogsProtobuf, decodeLogsJson, scanLogsRequest, decodeScannedLogsRequest } from './signals/logs/decode-logs-request.ts';
export { LOGS_WIRE_SCHEMA } from './signals/logs/logs-wire-schema.ts';
export { logRequestToRows, exceptionOf } from './signals/logs/log-request-to-rows.ts';
export { metricsSignal } from './signals/metrics/metrics-signal.ts';
export { decodeMetricRows, decodeMetricsProtobuf, decodeMetricsJson, scanMetricsRequest, decodeScannedMetricsRequest } from './signals/metrics/decode-metrics-request.ts';
export { METRICS_WIRE_SCHEMA } from './signals/metrics/metrics-wire-schema.ts';
export { metricRequestToRows } from './signals/metrics/metric-request-to-rows.ts';

// Analytics receivers (POST /api/track, /api/ingest/*, AnalyticsService) and their limits
export type { AnalyticsHttpOptions } from './receivers/analytics-http.ts';
export { analyticsHttpPlugin, DROPPED_HEADER, TRACK_PATH, INGEST_EVENTS_PATH, INGEST_IDENTIFY_PATH } from './receivers/analytics-http.ts';
export type { AnalyticsIngestContext, IngestOutcome, RejectedItem } from './receivers/analytics-ingest.ts';
export { ingestEvents, ingestIdentify } from './receivers/analytics-ingest.ts';
export type { AnalyticsLimits } from './signals/events/analytics-limits.ts';
export { DEFAULT_ANALYTICS_LIMITS, analyticsLimitsOf } from './signals/events/analytics-limits.ts';

// The collector
export type { Collector, CollectorAnalyticsOptions, CollectorOptions, CollectorPorts } from './receivers/collector.ts';
export type { GeoTableEntry } from './enrich/geo-lookup.ts';
export { createTableGeoLookup, defaultGeoDatabasePath, openGeoLookup } from './enrich/geo-lookup.ts';
export { createCollector } from './receivers/collector.ts';

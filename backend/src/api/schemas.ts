import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from './errors.ts';

// Shared JSON schemas, referenced by `$id#` from route schemas. They also serialize
// responses (fast-json-stringify) and become the OpenAPI document's components.

const apiError = {
  $id: 'ApiError',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: ERROR_CODES }, message: { type: 'string' } },
    },
  },
} as const;

const anyValue = {
  $id: 'AnyValue',
  type: 'object',
  description: 'OTLP/JSON AnyValue: exactly one of the fields, or none for an empty value.',
  properties: {
    stringValue: { type: 'string' },
    boolValue: { type: 'boolean' },
    intValue: { type: 'string', description: 'int64 as a decimal string' },
    doubleValue: { type: ['number', 'string'], description: 'a number, or "NaN", "Infinity", "-Infinity"' },
    bytesValue: { type: 'string', description: 'base64' },
    arrayValue: { type: 'object', properties: { values: { type: 'array', items: { $ref: 'AnyValue#' } } } },
    kvlistValue: { type: 'object', properties: { values: { type: 'array', items: { $ref: 'KeyValue#' } } } },
  },
} as const;

const keyValue = {
  $id: 'KeyValue',
  type: 'object',
  required: ['key', 'value'],
  properties: { key: { type: 'string' }, value: { $ref: 'AnyValue#' } },
} as const;

const attributes = { type: 'array', items: { $ref: 'KeyValue#' } } as const;
const uint32 = { type: 'integer', minimum: 0 } as const;
const nanos = { type: 'string', pattern: '^-?[0-9]+$', description: 'nanoseconds as a decimal string' } as const;
const hexId = (bytes: number) => ({ type: 'string', pattern: `^[0-9a-f]{${bytes * 2}}$` }) as const;

const resource = {
  $id: 'Resource',
  type: 'object',
  required: ['attributes', 'droppedAttributesCount'],
  properties: { attributes, droppedAttributesCount: uint32 },
} as const;

const instrumentationScope = {
  $id: 'InstrumentationScope',
  type: 'object',
  required: ['name', 'version', 'attributes', 'droppedAttributesCount'],
  properties: { name: { type: 'string' }, version: { type: 'string' }, attributes, droppedAttributesCount: uint32 },
} as const;

const spanEvent = {
  $id: 'SpanEvent',
  type: 'object',
  properties: { timeUnixNano: nanos, name: { type: 'string' }, attributes, droppedAttributesCount: uint32 },
} as const;

const spanLink = {
  $id: 'SpanLink',
  type: 'object',
  properties: {
    traceId: hexId(16),
    spanId: hexId(8),
    traceState: { type: 'string' },
    attributes,
    droppedAttributesCount: uint32,
    flags: uint32,
  },
} as const;

const span = {
  $id: 'Span',
  type: 'object',
  required: ['traceId', 'spanId', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'status'],
  properties: {
    traceId: hexId(16),
    spanId: hexId(8),
    traceState: { type: 'string' },
    parentSpanId: { ...hexId(8), description: 'absent on root spans' },
    flags: uint32,
    name: { type: 'string' },
    kind: { type: 'integer', description: 'SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer' },
    startTimeUnixNano: nanos,
    endTimeUnixNano: nanos,
    attributes,
    droppedAttributesCount: uint32,
    events: { type: 'array', items: { $ref: 'SpanEvent#' } },
    droppedEventsCount: uint32,
    links: { type: 'array', items: { $ref: 'SpanLink#' } },
    droppedLinksCount: uint32,
    status: {
      type: 'object',
      properties: { code: { type: 'integer', description: '0 unset, 1 ok, 2 error' }, message: { type: 'string' } },
    },
  },
} as const;

/** OTLP/JSON's grouping of a signal's items: resource → scope → items, as TracesData and LogsData share it. */
function groupedByResourceAndScope<const Scopes extends string, const Items extends string>(scopes: Scopes, items: Items, itemRef: string) {
  return {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        resource: { $ref: 'Resource#' },
        schemaUrl: { type: 'string' },
        [scopes]: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              scope: { $ref: 'InstrumentationScope#' },
              schemaUrl: { type: 'string' },
              [items]: { type: 'array', items: { $ref: itemRef } },
            },
          },
        },
      },
    },
  } as const;
}

const tracesData = {
  $id: 'TracesData',
  type: 'object',
  description: 'OTLP/JSON TracesData: spans grouped by resource and instrumentation scope.',
  required: ['resourceSpans'],
  properties: { resourceSpans: groupedByResourceAndScope('scopeSpans', 'spans', 'Span#') },
} as const;

const logRecord = {
  $id: 'LogRecord',
  type: 'object',
  required: ['timeUnixNano', 'observedTimeUnixNano', 'severityNumber', 'severityText', 'body', 'attributes', 'eventName'],
  properties: {
    timeUnixNano: { ...nanos, description: 'as the record carried it; "0" when it had none' },
    observedTimeUnixNano: { ...nanos, description: 'as the record carried it; "0" when it had none' },
    severityNumber: { type: 'integer', description: 'SeverityNumber: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal; 0 unspecified' },
    severityText: { type: 'string' },
    body: { $ref: 'AnyValue#' },
    attributes,
    droppedAttributesCount: uint32,
    flags: uint32,
    traceId: { ...hexId(16), description: 'absent when the record names no trace' },
    spanId: { ...hexId(8), description: 'absent when the record names no span' },
    eventName: { type: 'string' },
  },
} as const;

const resourceLogs = groupedByResourceAndScope('scopeLogs', 'logRecords', 'LogRecord#');

const logsData = {
  $id: 'LogsData',
  type: 'object',
  description: 'OTLP/JSON LogsData: log records grouped by resource and instrumentation scope.',
  required: ['resourceLogs'],
  properties: { resourceLogs },
} as const;

const logsPage = {
  $id: 'LogsPage',
  type: 'object',
  description: 'A page of a log search: OTLP/JSON LogsData, and the cursor of the next page.',
  required: ['resourceLogs', 'nextCursor'],
  properties: {
    resourceLogs,
    nextCursor: { type: ['string', 'null'], description: 'pass as cursor for the next page; null on the last' },
  },
} as const;

const traceSummary = {
  $id: 'TraceSummary',
  type: 'object',
  required: ['traceId', 'rootServiceName', 'rootSpanName', 'startTimeUnixNano', 'durationNs', 'spanCount', 'errorCount'],
  properties: {
    traceId: hexId(16),
    rootServiceName: { type: ['string', 'null'], description: 'null until the root span has arrived' },
    rootSpanName: { type: ['string', 'null'] },
    startTimeUnixNano: nanos,
    durationNs: nanos,
    spanCount: { type: 'integer' },
    errorCount: { type: 'integer' },
  },
} as const;

// RED figures from the rollups (query/traces/red-read.ts RedStats).
const latencyMs = (q: string) => ({ type: ['number', 'null'], description: `${q} latency of the requests in milliseconds (within 2.2%); null without requests` }) as const;
const redStatsRequired = ['requestCount', 'requestRate', 'errorCount', 'errorRate', 'p50', 'p95', 'p99', 'spanCount', 'errorSpanCount'] as const;
const redStatsProperties = {
  requestCount: { type: 'integer', description: 'server and consumer spans, and root spans of any kind' },
  requestRate: { type: 'number', description: 'requests per second over the minute-aligned range' },
  errorCount: { type: 'integer', description: 'requests with status ERROR' },
  errorRate: { type: 'number', description: 'errorCount / requestCount; 0 without requests' },
  p50: latencyMs('median'),
  p95: latencyMs('95th percentile'),
  p99: latencyMs('99th percentile'),
  spanCount: { type: 'integer', description: 'every span, requests or not' },
  errorSpanCount: { type: 'integer', description: 'spans with status ERROR' },
} as const;

const service = {
  $id: 'Service',
  type: 'object',
  required: ['name', ...redStatsRequired],
  properties: { name: { type: 'string' }, ...redStatsProperties },
} as const;

const operation = {
  $id: 'Operation',
  type: 'object',
  required: ['name', 'spanKind', ...redStatsRequired],
  properties: { name: { type: 'string' }, spanKind: { type: 'integer' }, ...redStatsProperties },
} as const;

const redPoint = {
  $id: 'RedPoint',
  type: 'object',
  required: ['time', ...redStatsRequired],
  properties: { time: { type: 'string', format: 'date-time', description: "the step's first instant" }, ...redStatsProperties },
} as const;

const sharedSchemas = [
  apiError,
  anyValue,
  keyValue,
  resource,
  instrumentationScope,
  spanEvent,
  spanLink,
  span,
  tracesData,
  logRecord,
  logsData,
  logsPage,
  traceSummary,
  service,
  operation,
  redPoint,
];

export function addSharedSchemas(app: FastifyInstance): void {
  for (const schema of sharedSchemas) app.addSchema(schema);
}

/** Error answers every route may give. */
export const errorResponses = {
  '4xx': { $ref: 'ApiError#' },
  '5xx': { $ref: 'ApiError#' },
} as const;

/**
 * A string with no NUL character. PostgreSQL text cannot hold one, so a query
 * given one fails as an encoding error (a 500) instead of a client error.
 */
export const WITHOUT_NUL = '^[^\\u0000]*$';

export interface TextParameterOptions {
  maxLength: number;
  minLength?: number;
  description?: string;
  /** A pattern of the parameter's own, in place of WITHOUT_NUL; it must not match NUL either. */
  pattern?: string;
}

/**
 * Every string parameter of every route, in the path or the query string, is
 * one of these: bounded in length and free of NUL, so that nothing a client
 * types reaches SQL unchecked (test/api-abuse.test.ts sends NUL to each).
 */
export function textParameter(options: TextParameterOptions) {
  const { maxLength, minLength, description, pattern = WITHOUT_NUL } = options;
  return {
    type: 'string',
    ...(minLength === undefined ? {} : { minLength }),
    maxLength,
    pattern,
    ...(description === undefined ? {} : { description }),
  } as const;
}

/** The `start`/`end` query parameters of routes over a time range. */
export const timeRangeQuery = {
  start: textParameter({ maxLength: 64, description: 'ISO 8601 time or unix milliseconds; inclusive' }),
  end: textParameter({ maxLength: 64, description: 'ISO 8601 time or unix milliseconds; exclusive; default now' }),
} as const;

export const bearerAuth = [{ apiKey: [] }];

/** A custom property's value in a request body: a scalar (anyOf rather than a type list, which Ajv's strict mode refuses). */
export const propValueSchema = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } as const;

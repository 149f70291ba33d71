// OTLP metrics request builders shared by the metrics tests (not a test file itself).
import { ExportMetricsServiceRequest } from '@justanalytics/proto';
import { SPAN_ID_HEX, TRACE_ID_HEX } from './fixtures.ts';
import type { JsonObject } from './fixtures.ts';

export { SPAN_ID_HEX, TRACE_ID_HEX };

export const START = '1700000000000000000';
export const TIME = '1700000060123456789';

/** A gauge or sum point with every field set (OTLP/JSON), with fields replaced by `overrides`. */
export function jsonNumberPoint(overrides: JsonObject = {}): JsonObject {
  return {
    attributes: [{ key: 'host', value: { stringValue: 'a' } }],
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    asDouble: 0.5,
    exemplars: [],
    flags: 0,
    ...overrides,
  };
}

/** A histogram point: 3 bounds, 4 buckets, sum, min and max. */
export function jsonHistogramPoint(overrides: JsonObject = {}): JsonObject {
  return {
    attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }],
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    count: '10',
    sum: 123.5,
    bucketCounts: ['1', '2', '3', '4'],
    explicitBounds: [5, 10, 25.5],
    min: 0.25,
    max: 99,
    ...overrides,
  };
}

export function jsonExponentialPoint(overrides: JsonObject = {}): JsonObject {
  return {
    attributes: [],
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    count: '9',
    sum: 12.5,
    scale: -3,
    zeroCount: '2',
    zeroThreshold: 1e-9,
    positive: { offset: -2, bucketCounts: ['1', '0', '3'] },
    negative: { offset: 5, bucketCounts: ['3'] },
    min: -4,
    max: 4.5,
    ...overrides,
  };
}

export function jsonSummaryPoint(overrides: JsonObject = {}): JsonObject {
  return {
    attributes: [],
    startTimeUnixNano: START,
    timeUnixNano: TIME,
    count: '4',
    sum: 10,
    quantileValues: [
      { quantile: 0, value: 1 },
      { quantile: 0.5, value: 2.5 },
      { quantile: 1, value: 4 },
    ],
    ...overrides,
  };
}

/** A metric of one type: `data` is e.g. { gauge: { dataPoints } }. */
export function jsonMetric(name: string, data: JsonObject, overrides: JsonObject = {}): JsonObject {
  return { name, description: `${name} described`, unit: 'ms', ...data, ...overrides };
}

/** An OTLP/JSON ExportMetricsServiceRequest holding `metrics` under one resource and scope. */
export function jsonMetricsRequest(metrics: JsonObject[], resourceAttributes: JsonObject[] = [{ key: 'service.name', value: { stringValue: 'checkout' } }]): JsonObject {
  return {
    resourceMetrics: [
      {
        resource: { attributes: resourceAttributes },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeMetrics: [{ scope: { name: 'test-meter', version: '1.0.0' }, schemaUrl: 'https://example.com/scope', metrics }],
      },
    ],
  };
}

/** The protobuf encoding of an OTLP/JSON-like metrics request (exemplars' hex IDs turned into bytes, as OTLP/JSON does). */
export function protobufMetricsRequest(request: JsonObject): Buffer {
  const copy = structuredClone(request) as { resourceMetrics?: { scopeMetrics?: { metrics?: JsonObject[] }[] }[] };
  for (const resourceMetrics of copy.resourceMetrics ?? []) {
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scopeMetrics.metrics ?? []) {
        for (const member of ['gauge', 'sum', 'histogram', 'exponentialHistogram']) {
          const points = (metric[member] as { dataPoints?: JsonObject[] } | undefined)?.dataPoints ?? [];
          for (const point of points) {
            for (const exemplar of (point.exemplars as JsonObject[] | undefined) ?? []) {
              for (const field of ['traceId', 'spanId']) {
                if (typeof exemplar[field] === 'string') exemplar[field] = Buffer.from(exemplar[field] as string, 'hex');
              }
            }
          }
        }
      }
    }
  }
  return Buffer.from(ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(copy)).finish());
}

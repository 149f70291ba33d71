// Metric data points for the store, query and API tests (not a test file itself).
import type { KeyValueJson, MetricPointRow, ResourceJson } from '@justanalytics/collector';

/** A string attribute. */
export function attr(key: string, value: string): KeyValueJson {
  return { key, value: { stringValue: value } };
}

/** A resource of `service.name` and more string attributes. */
export function resourceWith(serviceName: string, more: Record<string, string> = {}): ResourceJson {
  return { attributes: [attr('service.name', serviceName), ...Object.entries(more).map(([k, v]) => attr(k, v))], droppedAttributesCount: 0 };
}

const defaultResource = resourceWith('checkout');
const defaultScope = { name: 'test-meter', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };

/**
 * A gauge point of `test.gauge` with a double value; override what the test
 * is about (the resource object may be shared between points, as the decoder
 * shares it).
 */
export function metricPoint(siteId: string, overrides: Partial<MetricPointRow> & { timeUnixNano: bigint }): MetricPointRow {
  const resource = overrides.resource ?? defaultResource;
  const service = resource.attributes.find((a) => a.key === 'service.name')?.value;
  return {
    siteId,
    metricName: 'test.gauge',
    description: 'a test gauge',
    unit: '1',
    type: 'gauge',
    temporality: 0,
    monotonic: false,
    attributes: [],
    startTimeUnixNano: 0n,
    flags: 0,
    doubleValue: 0,
    intValue: null,
    count: null,
    sum: null,
    min: null,
    max: null,
    bucketCounts: null,
    explicitBounds: null,
    exponential: null,
    quantiles: null,
    exemplars: [],
    serviceName: service !== undefined && 'stringValue' in service ? service.stringValue : '',
    resource,
    resourceSchemaUrl: '',
    scope: defaultScope,
    scopeSchemaUrl: '',
    ...overrides,
  };
}

/** A monotonic cumulative int counter point. */
export function counterPoint(siteId: string, name: string, timeUnixNano: bigint, value: bigint, startTimeUnixNano: bigint, more: Partial<MetricPointRow> = {}): MetricPointRow {
  return metricPoint(siteId, {
    metricName: name,
    type: 'sum',
    temporality: 2,
    monotonic: true,
    doubleValue: null,
    intValue: value,
    timeUnixNano,
    startTimeUnixNano,
    ...more,
  });
}

/** An explicit-bucket histogram point (cumulative unless `temporality` says otherwise). */
export function histogramPoint(
  siteId: string,
  name: string,
  timeUnixNano: bigint,
  bounds: number[],
  counts: number[],
  sum: number,
  more: Partial<MetricPointRow> = {},
): MetricPointRow {
  return metricPoint(siteId, {
    metricName: name,
    type: 'histogram',
    temporality: 2,
    doubleValue: null,
    count: BigInt(counts.reduce((a, b) => a + b, 0)),
    sum,
    bucketCounts: counts.map(BigInt),
    explicitBounds: bounds,
    timeUnixNano,
    ...more,
  });
}

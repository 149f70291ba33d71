import type { ExemplarJson, KeyValueJson, ResourceJson, ScopeJson } from '../../model/otlp-json.ts';

/** The five OTLP metric data types. */
export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** OTLP's AggregationTemporality: gauges and summaries carry UNSPECIFIED. */
export const Temporality = { unspecified: 0, delta: 1, cumulative: 2 } as const;

/** DataPointFlags bit 0: the point marks a gap (the series had no value), not a zero. */
export const NO_RECORDED_VALUE = 1;

/** One bucket range of an exponential histogram: counts for indexes offset, offset+1, …. */
export interface ExponentialBuckets {
  offset: number;
  bucketCounts: bigint[];
}

export interface ExponentialHistogramValue {
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
}

export interface SummaryQuantile {
  quantile: number;
  value: number;
}

/**
 * One metric data point as the collector hands it to a sink: the only metric
 * type in the project. It carries its series' identity (metric name, type,
 * unit, temporality, monotonicity, resource, scope and point attributes); the
 * store keeps that once per series and day and gives the point only the
 * series' id. Times are bigint nanoseconds since the epoch.
 *
 * Exactly the members of the point's type are set; the others are null.
 */
export interface MetricPointRow {
  siteId: string;
  metricName: string;
  description: string;
  unit: string;
  type: MetricType;
  temporality: number; // Temporality; 0 for gauges and summaries
  monotonic: boolean; // sums only; false for every other type
  attributes: KeyValueJson[]; // the point's own attributes
  startTimeUnixNano: bigint; // 0n when absent: a reset shows as a later start
  timeUnixNano: bigint; // never 0n (such points are rejected)
  flags: number; // DataPointFlags (uint32)
  // gauge and sum: as_double or as_int, as sent; both null when the point has
  // NO_RECORDED_VALUE or set neither.
  doubleValue: number | null;
  intValue: bigint | null;
  // histogram, exponential histogram and summary
  count: bigint | null;
  sum: number | null; // null when the point does not say (optional for histograms)
  // histogram and exponential histogram; null when absent
  min: number | null;
  max: number | null;
  // histogram: bucketCounts.length === explicitBounds.length + 1 (checked while decoding)
  bucketCounts: bigint[] | null;
  explicitBounds: number[] | null;
  exponential: ExponentialHistogramValue | null;
  quantiles: SummaryQuantile[] | null; // summary
  exemplars: ExemplarJson[];
  // Promoted from the resource, as on spans and logs.
  serviceName: string;
  resource: ResourceJson;
  resourceSchemaUrl: string;
  scope: ScopeJson;
  scopeSchemaUrl: string;
}

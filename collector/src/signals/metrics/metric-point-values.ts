import { int64ToBigInt } from '@justanalytics/proto';
import type { IExponentialHistogramBuckets, IExponentialHistogramDataPoint, IHistogramDataPoint, INumberDataPoint, ISummaryDataPoint, Int64 } from '@justanalytics/proto';
import type { ExponentialBuckets, MetricPointRow } from './metric-point-row.ts';
import { NO_RECORDED_VALUE } from './metric-point-row.ts';
import { histogramProblem, INVALID_COUNT, storableCount } from './metric-checks.ts';

/** The value columns of a row: which are set depends on the point's type. */
export type PointValues = Pick<
  MetricPointRow,
  'doubleValue' | 'intValue' | 'count' | 'sum' | 'min' | 'max' | 'bucketCounts' | 'explicitBounds' | 'exponential' | 'quantiles'
>;

/** A point with NO_RECORDED_VALUE marks a gap in its series: no value at all, not a zero. */
const NO_VALUES: Readonly<PointValues> = Object.freeze({
  doubleValue: null,
  intValue: null,
  count: null,
  sum: null,
  min: null,
  max: null,
  bucketCounts: null,
  explicitBounds: null,
  exponential: null,
  quantiles: null,
});

function hasNoValue(flags: number): boolean {
  return (flags & NO_RECORDED_VALUE) !== 0;
}

/** A gauge's or sum's value, as_double or as_int as sent (NaN and ±Infinity kept). */
export function numberValues(point: INumberDataPoint): PointValues {
  if (hasNoValue(point.flags)) return NO_VALUES;
  if (point.value === 'asDouble') return { ...NO_VALUES, doubleValue: point.asDouble ?? 0 };
  if (point.value === 'asInt') return { ...NO_VALUES, intValue: point.asInt === undefined ? 0n : int64ToBigInt(point.asInt) };
  return NO_VALUES;
}

/** A histogram's values, or why they make no histogram. */
export function histogramValues(point: IHistogramDataPoint): PointValues | string {
  if (hasNoValue(point.flags)) return NO_VALUES;
  const problem = histogramProblem(point);
  if (problem !== null) return problem;
  const count = storableCount(int64ToBigInt(point.count));
  const bucketCounts = countsOf(point.bucketCounts);
  if (count === null || bucketCounts === null) return INVALID_COUNT;
  return {
    ...NO_VALUES,
    count,
    sum: point.sum,
    min: point.min,
    max: point.max,
    bucketCounts,
    // A copy: the decoded message's array would keep the message alive.
    explicitBounds: Array.from(point.explicitBounds),
  };
}

/** An exponential histogram's values, or why they cannot be stored. */
export function exponentialValues(point: IExponentialHistogramDataPoint): PointValues | string {
  if (hasNoValue(point.flags)) return NO_VALUES;
  const count = storableCount(int64ToBigInt(point.count));
  const zeroCount = storableCount(int64ToBigInt(point.zeroCount));
  const positive = bucketsOf(point.positive);
  const negative = bucketsOf(point.negative);
  if (count === null || zeroCount === null || positive === null || negative === null) return INVALID_COUNT;
  return {
    ...NO_VALUES,
    count,
    sum: point.sum,
    min: point.min,
    max: point.max,
    exponential: { scale: point.scale, zeroCount, zeroThreshold: point.zeroThreshold, positive, negative },
  };
}

/** A summary's values, or why they cannot be stored. */
export function summaryValues(point: ISummaryDataPoint): PointValues | string {
  if (hasNoValue(point.flags)) return NO_VALUES;
  const count = storableCount(int64ToBigInt(point.count));
  if (count === null) return INVALID_COUNT;
  return {
    ...NO_VALUES,
    count,
    sum: point.sum,
    quantiles: point.quantileValues.map(({ quantile, value }) => ({ quantile, value })),
  };
}

/** An absent bucket range is an empty one at offset 0. */
function bucketsOf(buckets: IExponentialHistogramBuckets | null): ExponentialBuckets | null {
  if (buckets === null) return { offset: 0, bucketCounts: [] };
  const bucketCounts = countsOf(buckets.bucketCounts);
  return bucketCounts === null ? null : { offset: buckets.offset, bucketCounts };
}

function countsOf(counts: readonly Int64[]): bigint[] | null {
  const out = new Array<bigint>(counts.length);
  for (let i = 0; i < counts.length; i++) {
    const count = storableCount(int64ToBigInt(counts[i] as Int64));
    if (count === null) return null;
    out[i] = count;
  }
  return out;
}

import type { IExemplar, IHistogramDataPoint } from '@justanalytics/proto';

// Reasons as partial_success names them: what was wrong and what is required.
export const MISSING_NAME = 'metric without a name (a name required)';
export const MISSING_DATA = 'metric without data (gauge, sum, histogram, exponential_histogram or summary required)';
export const INVALID_TIME = 'invalid time_unix_nano (above 0 and below 2^63 required)';
export const INVALID_START_TIME = 'invalid start_time_unix_nano (below 2^63 required)';
export const INVALID_TEMPORALITY = 'invalid aggregation_temporality (0, 1 or 2 required)';
export const BUCKETS_MISMATCH = 'histogram bucket_counts must number one more than explicit_bounds (or both be empty)';
export const BOUNDS_NOT_INCREASING = 'histogram explicit_bounds must be strictly increasing';
export const INVALID_COUNT = 'invalid count, zero_count or bucket count (below 2^63 required)';
export const INVALID_EXEMPLAR_TRACE_ID = 'invalid exemplar trace_id (empty or 16 bytes required)';
export const INVALID_EXEMPLAR_SPAN_ID = 'invalid exemplar span_id (empty or 8 bytes required)';

/**
 * Times and counts are stored as PostgreSQL bigint, which is signed: a
 * uint64 at or past 2^63 cannot be stored as sent, and is refused rather
 * than wrapped.
 */
const MAX_STORABLE = 2n ** 63n;

/** Why a point's times cannot be stored, or null when they can. A time of 0 says nothing about when the point was taken. */
export function pointTimeProblem(start: bigint, time: bigint): string | null {
  if (time === 0n || time >= MAX_STORABLE) return INVALID_TIME;
  if (start >= MAX_STORABLE) return INVALID_START_TIME;
  return null;
}

/** AggregationTemporality is an open enum on the wire; only its three values mean anything. */
export function temporalityProblem(temporality: number): string | null {
  return temporality === 0 || temporality === 1 || temporality === 2 ? null : INVALID_TEMPORALITY;
}

/** Why a histogram point's buckets make no histogram, or null. */
export function histogramProblem(point: IHistogramDataPoint): string | null {
  const bounds = point.explicitBounds;
  const buckets = point.bucketCounts.length;
  if (buckets !== bounds.length + 1 && !(buckets === 0 && bounds.length === 0)) return BUCKETS_MISMATCH;
  // Written so that a NaN bound fails too.
  for (let i = 1; i < bounds.length; i++) {
    if (!((bounds[i] as number) > (bounds[i - 1] as number))) return BOUNDS_NOT_INCREASING;
  }
  return null;
}

/** The count as a storable bigint, or null when it is past what PostgreSQL's bigint holds. */
export function storableCount(count: bigint): bigint | null {
  return count < MAX_STORABLE ? count : null;
}

/** Why an exemplar's IDs cannot be stored, or null. Both are optional: empty means none. */
export function exemplarIdProblem(exemplar: IExemplar): string | null {
  if (exemplar.traceId.length !== 0 && exemplar.traceId.length !== 16) return INVALID_EXEMPLAR_TRACE_ID;
  if (exemplar.spanId.length !== 0 && exemplar.spanId.length !== 8) return INVALID_EXEMPLAR_SPAN_ID;
  return null;
}

/** Attributes name a point's series: dropping some would merge series, so a point past the limit is refused instead. */
export function tooManyAttributes(max: number): string {
  return `data point with more than ${max} attributes (they name its series, so none are dropped)`;
}

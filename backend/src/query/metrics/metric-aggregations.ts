import type { MetricType } from '@justanalytics/collector/model';

export const aggregations = ['avg', 'min', 'max', 'sum', 'count', 'rate', 'increase', 'p50', 'p90', 'p95', 'p99'] as const;
export type Aggregation = (typeof aggregations)[number];

/** The quantile a pNN aggregation asks for, or null for the others. */
export function quantileOf(aggregation: Aggregation): number | null {
  const match = /^p(\d\d)$/.exec(aggregation);
  return match === null ? null : Number(match[1]) / 100;
}

/** What a series is, as far as choosing how to aggregate it goes. */
export interface SeriesKind {
  type: MetricType;
  temporality: number;
  monotonic: boolean;
}

/** How the query path computes an aggregation over a metric of one kind. */
export type AggregationPlan =
  | { shape: 'values'; aggregation: 'avg' | 'min' | 'max' | 'sum' | 'count' }
  | { shape: 'counter'; aggregation: 'rate' | 'increase' }
  | { shape: 'delta-sum'; aggregation: 'rate' | 'increase' | 'sum' }
  | { shape: 'histogram'; aggregation: 'count' | 'sum' | 'avg' | 'quantile'; quantile: number }
  | { shape: 'summary'; quantile: number };

/** The metric's type cannot answer the aggregation; the message says what it can. */
export class WrongMetricTypeError extends Error {
  override name = 'WrongMetricTypeError';
}

const DELTA = 1;
const CUMULATIVE = 2;

function describe(kind: SeriesKind): string {
  if (kind.type !== 'sum') return `a ${kind.type.replace('_', ' ')}`;
  const temporality = kind.temporality === DELTA ? 'delta' : kind.temporality === CUMULATIVE ? 'cumulative' : 'unspecified-temporality';
  return `a ${kind.monotonic ? 'monotonic' : 'non-monotonic'} ${temporality} sum`;
}

/**
 * How to answer `aggregation` over series of `kind`, or WrongMetricTypeError.
 * - gauges, and sums read as values: avg, min, max, sum, count of the points
 *   (a delta sum's sum adds its deltas up);
 * - rate and increase: monotonic cumulative sums (counters, resets handled)
 *   and delta sums (the deltas added up);
 * - histograms and exponential histograms: pNN from the buckets, count, sum
 *   and avg (sum / count) of the observations in each step;
 * - summaries: pNN picks the summary's own quantile.
 */
export function planAggregation(metric: string, kind: SeriesKind, aggregation: Aggregation): AggregationPlan {
  const quantile = quantileOf(aggregation);
  const refuse = (can: string): never => {
    throw new WrongMetricTypeError(`${metric} is ${describe(kind)}: ${aggregation} does not apply to it (it takes ${can})`);
  };
  switch (kind.type) {
    case 'gauge':
      if (aggregation === 'avg' || aggregation === 'min' || aggregation === 'max' || aggregation === 'sum' || aggregation === 'count') return { shape: 'values', aggregation };
      return refuse('avg, min, max, sum, count');
    case 'sum':
      if (kind.temporality === DELTA) {
        if (aggregation === 'rate' || aggregation === 'increase' || aggregation === 'sum') return { shape: 'delta-sum', aggregation };
        if (aggregation === 'avg' || aggregation === 'min' || aggregation === 'max' || aggregation === 'count') return { shape: 'values', aggregation };
        return refuse('rate, increase, sum, avg, min, max, count');
      }
      if (aggregation === 'rate' || aggregation === 'increase') {
        if (kind.monotonic && kind.temporality === CUMULATIVE) return { shape: 'counter', aggregation };
        return refuse('avg, min, max, sum, count');
      }
      if (aggregation === 'avg' || aggregation === 'min' || aggregation === 'max' || aggregation === 'sum' || aggregation === 'count') return { shape: 'values', aggregation };
      return refuse(kind.monotonic && kind.temporality === CUMULATIVE ? 'rate, increase, avg, min, max, sum, count' : 'avg, min, max, sum, count');
    case 'histogram':
    case 'exponential_histogram':
      if (quantile !== null) return { shape: 'histogram', aggregation: 'quantile', quantile };
      if (aggregation === 'count' || aggregation === 'sum' || aggregation === 'avg') return { shape: 'histogram', aggregation, quantile: 0 };
      return refuse('p50, p90, p95, p99, count, sum, avg');
    case 'summary':
      if (quantile !== null) return { shape: 'summary', quantile };
      return refuse('p50, p90, p95, p99');
  }
}

import { downscale, type ExplicitHistogram, type ExponentialHistogram } from './histogram-quantile.ts';

// Increments of cumulative histograms per series and step, from the first and
// last point of each (series, run, step) (step-queries.ts): pure functions.

/** A histogram's observations of a step: count, sum (null when unknown) and buckets. */
export interface HistogramIncrement<H> {
  count: number;
  sum: number | null;
  buckets: H;
}

/** One point of a cumulative histogram series, reduced to what increments need. */
export interface CumulativePoint<H> {
  series: string;
  run: string;
  step: number;
  first: boolean;
  last: boolean;
  /** A first point whose run began from zero: its whole value is observations of the run. */
  fromZero: boolean;
  value: HistogramIncrement<H>;
}

/** `later` minus `earlier` of one run: never negative, bucket by bucket. */
export type BucketsMinus<H> = (later: H, earlier: H) => H;

export const explicitMinus: BucketsMinus<ExplicitHistogram> = (later, earlier) => ({
  bounds: later.bounds,
  counts: later.counts.map((count, i) => Math.max(0, count - (earlier.counts[i] ?? 0))),
});

export const exponentialMinus: BucketsMinus<ExponentialHistogram> = (later, earlier) => {
  const scale = Math.min(later.scale, earlier.scale);
  const a = downscale(later, scale);
  const b = downscale(earlier, scale);
  const minus = (x: Map<number, number>, y: Map<number, number>) => {
    const result = new Map<number, number>();
    for (const [index, count] of x) {
      const left = count - (y.get(index) ?? 0);
      if (left > 0) result.set(index, left);
    }
    return result;
  };
  return { scale, zero: Math.max(0, a.zero - b.zero), positive: minus(a.positive, b.positive), negative: minus(a.negative, b.negative) };
};

/**
 * The increment of each (series, step) from points ordered by series, run,
 * step and time: the step's last point minus the run's last point of an
 * earlier step, or, for the step a run starts in, minus the run's first
 * point, or minus nothing when the run began from zero (a reset, or a series
 * whose start time is inside the range). Steps below 0 (read only to be
 * subtracted from) yield nothing.
 */
export function* histogramIncrements<H>(
  points: Iterable<CumulativePoint<H>>,
  minus: BucketsMinus<H>,
): Generator<{ series: string; step: number; increment: HistogramIncrement<H> }> {
  let series = '';
  let run = '';
  let previous: HistogramIncrement<H> | null = null;
  let first: HistogramIncrement<H> | null = null;
  for (const point of points) {
    if (point.series !== series || point.run !== run) {
      series = point.series;
      run = point.run;
      previous = null;
    }
    if (point.first) first = point.fromZero ? zeroOf(point.value, minus) : point.value;
    if (!point.last) continue;
    const base = previous ?? first ?? point.value;
    previous = point.value;
    if (point.step < 0) continue;
    const later = point.value;
    yield {
      series,
      step: point.step,
      increment: {
        count: Math.max(0, later.count - base.count),
        sum: later.sum === null || base.sum === null ? null : later.sum - base.sum,
        buckets: minus(later.buckets, base.buckets),
      },
    };
  }
}

/** An empty histogram of the same shape: no observations. */
function zeroOf<H>(value: HistogramIncrement<H>, minus: BucketsMinus<H>): HistogramIncrement<H> {
  return { count: 0, sum: value.sum === null ? null : 0, buckets: minus(value.buckets, value.buckets) };
}

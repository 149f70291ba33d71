// Quantiles from histogram buckets, as pure functions. The explicit-bucket
// estimate is Prometheus' histogram_quantile; the exponential one interpolates
// within a bucket on a log scale.

/** Counts of an explicit-bucket histogram: counts[i] in (bounds[i-1], bounds[i]]; the last bucket is (bounds[n-1], +Inf). */
export interface ExplicitHistogram {
  bounds: number[];
  counts: number[];
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of an explicit-bucket histogram, as Prometheus'
 * histogram_quantile estimates it: find the bucket holding rank q·total and
 * interpolate linearly inside it. The first bucket's lower edge is 0 when its
 * upper bound is positive (else its upper bound is the answer); a rank in the
 * +Inf bucket answers the largest finite bound. Null with no observations.
 */
export function explicitQuantile(histogram: ExplicitHistogram, q: number): number | null {
  const { bounds, counts } = histogram;
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (!(total > 0)) return null;
  if (bounds.length === 0) return null; // one (-Inf, +Inf) bucket says nothing of where values lie
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (below + count >= rank && count > 0) {
      if (i === bounds.length) return bounds[bounds.length - 1]!; // the +Inf bucket
      const upper = bounds[i]!;
      let lower: number;
      if (i === 0) {
        if (upper <= 0) return upper;
        lower = 0;
      } else {
        lower = bounds[i - 1]!;
      }
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return bounds[bounds.length - 1]!;
}

/**
 * Adds `from` into `into`. Equal bounds add bucket by bucket; otherwise both
 * are put on the union of their bounds, each histogram's cumulative count at
 * a bound not its own interpolated linearly within its bucket (exact at its
 * own bounds), as histogram_quantile would read them.
 */
export function mergeExplicit(into: ExplicitHistogram | null, from: ExplicitHistogram): ExplicitHistogram {
  if (into === null) return { bounds: [...from.bounds], counts: [...from.counts] };
  if (sameBounds(into.bounds, from.bounds)) {
    for (let i = 0; i < from.counts.length; i++) into.counts[i] = (into.counts[i] ?? 0) + (from.counts[i] ?? 0);
    return into;
  }
  const bounds = [...new Set([...into.bounds, ...from.bounds])].sort((a, b) => a - b);
  const a = cumulativeAt(into, bounds);
  const b = cumulativeAt(from, bounds);
  const totalA = into.counts.reduce((s, c) => s + c, 0);
  const totalB = from.counts.reduce((s, c) => s + c, 0);
  const counts: number[] = [];
  let previous = 0;
  for (let i = 0; i < bounds.length; i++) {
    const cumulative = a[i]! + b[i]!;
    counts.push(cumulative - previous);
    previous = cumulative;
  }
  counts.push(totalA + totalB - previous);
  return { bounds, counts };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

/** Cumulative counts of `histogram` at each of `at` (sorted), interpolated within buckets. */
function cumulativeAt(histogram: ExplicitHistogram, at: readonly number[]): number[] {
  const { bounds, counts } = histogram;
  const result: number[] = [];
  for (const x of at) {
    let cumulative = 0;
    let i = 0;
    while (i < bounds.length && bounds[i]! <= x) cumulative += counts[i++] ?? 0;
    if (i < bounds.length && i > 0) {
      // x lies inside (bounds[i-1], bounds[i]]: the part of that bucket below x.
      const lower = bounds[i - 1]!;
      const upper = bounds[i]!;
      cumulative += ((counts[i] ?? 0) * (x - lower)) / (upper - lower);
    }
    result.push(cumulative);
  }
  return result;
}

/**
 * An exponential histogram: bucket `index` of `positive` counts values in
 * (base^index, base^(index+1)], base = 2^(2^-scale); `negative` mirrors it
 * for negative values; `zero` counts values within the zero threshold.
 */
export interface ExponentialHistogram {
  scale: number;
  zero: number;
  positive: Map<number, number>;
  negative: Map<number, number>;
}

/** The same counts at a coarser scale (scale - `by`): each bucket index halves `by` times. */
export function downscale(histogram: ExponentialHistogram, scale: number): ExponentialHistogram {
  if (scale >= histogram.scale) return histogram;
  const factor = 2 ** (histogram.scale - scale);
  const move = (buckets: Map<number, number>) => {
    const moved = new Map<number, number>();
    for (const [index, count] of buckets) {
      const coarse = Math.floor(index / factor);
      moved.set(coarse, (moved.get(coarse) ?? 0) + count);
    }
    return moved;
  };
  return { scale, zero: histogram.zero, positive: move(histogram.positive), negative: move(histogram.negative) };
}

/** Adds `from` into `into` at the coarser of their scales (the exponential merge every OTel SDK does). */
export function mergeExponential(into: ExponentialHistogram | null, from: ExponentialHistogram): ExponentialHistogram {
  if (into === null) return { scale: from.scale, zero: from.zero, positive: new Map(from.positive), negative: new Map(from.negative) };
  const scale = Math.min(into.scale, from.scale);
  const a = downscale(into, scale);
  const b = downscale(from, scale);
  for (const [index, count] of b.positive) a.positive.set(index, (a.positive.get(index) ?? 0) + count);
  for (const [index, count] of b.negative) a.negative.set(index, (a.negative.get(index) ?? 0) + count);
  a.zero += b.zero;
  return a;
}

/**
 * The q-quantile of an exponential histogram: the bucket holding rank q·total
 * (negative buckets from the most negative, then the zero bucket, then the
 * positive ones), interpolated inside it on a log scale: base^(index + f) for
 * the fraction f of the bucket's count below the rank. The answer lies in the
 * same bucket as the true quantile, so its relative error is below base - 1
 * (2^(2^-scale) - 1: 4.4% at scale 4, 9% at scale 3, 19% at scale 2). Null
 * with no observations.
 */
export function exponentialQuantile(histogram: ExponentialHistogram, q: number): number | null {
  const base = 2 ** (2 ** -histogram.scale);
  const negative = [...histogram.negative.entries()].filter(([, c]) => c > 0).sort((a, b) => b[0] - a[0]);
  const positive = [...histogram.positive.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = negative.reduce((s, [, c]) => s + c, 0) + histogram.zero + positive.reduce((s, [, c]) => s + c, 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (const [index, count] of negative) {
    if (below + count >= rank) {
      // From the bucket's most negative edge, -base^(index+1), towards -base^index.
      const f = (rank - below) / count;
      return -(base ** (index + 1 - f));
    }
    below += count;
  }
  if (histogram.zero > 0 && below + histogram.zero >= rank) return 0;
  below += histogram.zero;
  for (const [index, count] of positive) {
    if (below + count >= rank) return base ** (index + (rank - below) / count);
    below += count;
  }
  const last = positive.at(-1);
  return last === undefined ? 0 : base ** (last[0] + 1);
}

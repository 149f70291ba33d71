// The pure parts of the metrics query path: Prometheus-style quantiles of
// explicit buckets (edges, the +Inf bucket, merging different bounds),
// exponential histograms (downscaling, merging scales, log interpolation and
// its error bound, negative and zero buckets), the increments of cumulative
// histograms across runs and steps, and which aggregation each type takes.
import t from 'tap';
import { explicitMinus, histogramIncrements, type CumulativePoint } from '../src/query/metrics/histogram-increments.ts';
import { downscale, explicitQuantile, exponentialQuantile, mergeExplicit, mergeExponential, type ExponentialHistogram } from '../src/query/metrics/histogram-quantile.ts';
import { planAggregation, quantileOf, WrongMetricTypeError } from '../src/query/metrics/metric-aggregations.ts';
import { jsonValue } from '../src/query/metrics/metric-values.ts';

t.test('explicit-bucket quantiles as histogram_quantile', async (t) => {
  const h = { bounds: [1, 2, 4], counts: [2, 2, 4, 2] };
  t.equal(explicitQuantile(h, 0.5), 2 + (2 * (5 - 4)) / 4, 'rank 5 in (2,4]');
  t.equal(explicitQuantile(h, 0.1), 0 + (1 * 1) / 2, 'the first bucket starts at 0');
  t.equal(explicitQuantile(h, 0.95), 4, 'a rank in the +Inf bucket answers the largest bound');
  t.equal(explicitQuantile({ bounds: [-1, 2], counts: [3, 1, 0] }, 0.5), -1, 'a first bucket with a non-positive bound answers it');
  t.equal(explicitQuantile({ bounds: [1], counts: [0, 0] }, 0.5), null, 'no observations');
  t.equal(explicitQuantile({ bounds: [], counts: [5] }, 0.5), null, 'one unbounded bucket says nothing');
});

t.test('merging explicit histograms', async (t) => {
  const same = mergeExplicit({ bounds: [1, 2], counts: [1, 2, 3] }, { bounds: [1, 2], counts: [1, 1, 1] });
  t.same(same, { bounds: [1, 2], counts: [2, 3, 4] });
  const mixed = mergeExplicit({ bounds: [2], counts: [4, 0] }, { bounds: [1, 2], counts: [1, 1, 2] });
  t.same(mixed.bounds, [1, 2]);
  t.equal(mixed.counts.reduce((a, b) => a + b, 0), 8, 'no observation lost');
  t.equal(mixed.counts.at(-1), 2, 'the +Inf bucket');
  t.same(mergeExplicit(null, { bounds: [1], counts: [1, 1] }), { bounds: [1], counts: [1, 1] });
});

t.test('exponential histograms', async (t) => {
  const h: ExponentialHistogram = { scale: 1, zero: 0, positive: new Map([[0, 1], [1, 1], [2, 2], [3, 2]]), negative: new Map() };
  t.same(downscale(h, 0).positive, new Map([[0, 2], [1, 4]]), 'two buckets become one per scale step');
  t.same(downscale({ ...h, positive: new Map([[-1, 1], [-2, 1], [-3, 5]]) }, 0).positive, new Map([[-1, 2], [-2, 5]]), 'negative indexes round down');
  const merged = mergeExponential({ scale: 0, zero: 1, positive: new Map([[0, 1]]), negative: new Map() }, h);
  t.equal(merged.scale, 0);
  t.same(merged.positive, new Map([[0, 3], [1, 4]]));
  t.equal(merged.zero, 1);
  // Scale 0, bucket 2 is (4, 8]: 10 values there; p50 is rank 5 → 2^(2 + 0.5).
  const one: ExponentialHistogram = { scale: 0, zero: 0, positive: new Map([[2, 10]]), negative: new Map() };
  t.equal(exponentialQuantile(one, 0.5), 2 ** 2.5);
  const withNegative: ExponentialHistogram = { scale: 0, zero: 2, positive: new Map([[0, 2]]), negative: new Map([[1, 2]]) };
  // Six values; rank 0.6 is 0.3 of the way into (-4, -2], from -4.
  t.equal(exponentialQuantile(withNegative, 0.1), -(2 ** (2 - 0.3)), 'negative values come first, most negative first');
  t.equal(exponentialQuantile(withNegative, 0.5), 0, 'the zero bucket');
  t.equal(exponentialQuantile({ scale: 0, zero: 0, positive: new Map(), negative: new Map() }, 0.5), null);
  // The error bound: for any value in a bucket at scale 3, the estimate is within 2^(1/8) - 1.
  for (const value of [1.01, 3.3, 77, 1234.5]) {
    const index = Math.ceil(Math.log2(value) * 8) - 1;
    const estimate = exponentialQuantile({ scale: 3, zero: 0, positive: new Map([[index, 1]]), negative: new Map() }, 0.5)!;
    t.ok(Math.abs(estimate / value - 1) < 2 ** (1 / 8) - 1, `${value} ≈ ${estimate}`);
  }
});

t.test('cumulative histogram increments per step, across resets', async (t) => {
  const point = (run: string, step: number, first: boolean, last: boolean, counts: number[], fromZero = false): CumulativePoint<{ bounds: number[]; counts: number[] }> => ({
    series: 's',
    run,
    step,
    first,
    last,
    fromZero,
    value: { count: counts.reduce((a, b) => a + b, 0), sum: counts.reduce((a, b) => a + b, 0) * 10, buckets: { bounds: [1], counts } },
  });
  const increments = [
    ...histogramIncrements(
      [
        point('1', -1, true, true, [1, 1]), // before the range: the base of step 0
        point('1', 0, true, false, [2, 1]),
        point('1', 0, false, true, [3, 2]),
        point('2', 1, true, false, [1, 0], true), // a reset: the run began from zero, so all of it counts
        point('2', 1, false, true, [1, 4]),
        point('2', 2, true, true, [2, 4]),
      ],
      explicitMinus,
    ),
  ];
  t.same(
    increments.map((i) => [i.step, i.increment.count, i.increment.buckets.counts]),
    [
      [0, 3, [2, 1]],
      [1, 5, [1, 4]],
      [2, 1, [1, 0]],
    ],
  );
  const born = [...histogramIncrements([point('1', 0, true, false, [2, 1], true), point('1', 0, false, true, [4, 1])], explicitMinus)];
  t.same(
    born.map((i) => [i.step, i.increment.count, i.increment.buckets.counts]),
    [[0, 5, [4, 1]]],
    'a series that started inside the range counts its first point whole',
  );
});

t.test('which aggregations each metric type takes', async (t) => {
  t.equal(quantileOf('p95'), 0.95);
  t.equal(quantileOf('avg'), null);
  t.same(planAggregation('g', { type: 'gauge', temporality: 0, monotonic: false }, 'avg'), { shape: 'values', aggregation: 'avg' });
  t.same(planAggregation('c', { type: 'sum', temporality: 2, monotonic: true }, 'rate'), { shape: 'counter', aggregation: 'rate' });
  t.same(planAggregation('d', { type: 'sum', temporality: 1, monotonic: true }, 'increase'), { shape: 'delta-sum', aggregation: 'increase' });
  t.same(planAggregation('h', { type: 'histogram', temporality: 2, monotonic: false }, 'p99'), { shape: 'histogram', aggregation: 'quantile', quantile: 0.99 });
  t.same(planAggregation('s', { type: 'summary', temporality: 0, monotonic: false }, 'p50'), { shape: 'summary', quantile: 0.5 });
  t.throws(() => planAggregation('g', { type: 'gauge', temporality: 0, monotonic: false }, 'p50'), WrongMetricTypeError);
  t.throws(() => planAggregation('h', { type: 'exponential_histogram', temporality: 1, monotonic: false }, 'rate'), /h is a exponential histogram|h is a exponential/);
  t.throws(() => planAggregation('u', { type: 'sum', temporality: 2, monotonic: false }, 'rate'), /u is a non-monotonic cumulative sum: rate does not apply to it \(it takes avg, min, max, sum, count\)/);
  t.same([jsonValue(NaN), jsonValue(Infinity), jsonValue(-Infinity), jsonValue(1.5)], ['NaN', 'Infinity', '-Infinity', 1.5]);
});

// Covers the latency sketch of the RED rollups (rollups/latency-sketch.ts) as
// pure code: bucket bounds exact at every power of two and every bucket edge,
// quantiles within RELATIVE_ERROR of exact nearest-rank quantiles, merging
// equal to adding, and awkward durations (zero, negative, NaN, infinite,
// fractional, 2^63 - 1 and beyond).
import t from 'tap';
import { bucketEstimateNs, bucketOf, bucketUpperBoundNs, LatencySketch, MAX_BUCKET, RELATIVE_ERROR, ZERO_BUCKET } from '../src/rollups/latency-sketch.ts';

/** The nearest-rank q-quantile of sorted values: the ceil(q * n)-th smallest. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

t.test('the relative error bound is 2^(1/32) - 1, about 2.19%', async (t) => {
  t.ok(Math.abs(RELATIVE_ERROR - 0.021897) < 1e-6);
});

t.test('bucket k holds (2^((k-1)/16), 2^(k/16)]: exact at powers of two and every edge', async (t) => {
  for (let n = 0; n < 63; n++) {
    const power = 2n ** BigInt(n);
    t.equal(bucketOf(power), 16 * n, `2^${n} closes bucket ${16 * n}`);
    if (n > 0) t.ok(bucketOf(power + 1n) > 16 * n, `2^${n} + 1 is past bucket ${16 * n}`);
  }
  let mismatches = 0;
  for (let k = 0; k < MAX_BUCKET; k++) {
    const bound = bucketUpperBoundNs(k);
    // Bounds are floor(2^(k/16)): bound^16 <= 2^k < (bound + 1)^16.
    if (!(bound ** 16n <= 2n ** BigInt(k) && 2n ** BigInt(k) < (bound + 1n) ** 16n)) mismatches++;
    const at = bucketOf(bound);
    const after = bucketOf(bound + 1n);
    if (at > k || after <= k) mismatches++;
  }
  t.equal(mismatches, 0, 'every bound is exact and closes its bucket');
  t.equal(bucketOf(1n), 0);
  t.equal(bucketOf(2n), 16);
  t.equal(bucketOf(3n), 26, '3 ns: ceil(log2(3) * 16) = ceil(25.36)');
  t.equal(bucketOf(1_000_000n), Math.ceil(Math.log2(1e6) * 16), '1 ms');
});

t.test('zero, negative, NaN, infinite, fractional and huge durations', async (t) => {
  t.equal(bucketOf(0n), ZERO_BUCKET);
  t.equal(bucketOf(-5n), ZERO_BUCKET);
  t.equal(bucketOf(2n ** 63n - 1n), MAX_BUCKET, 'int64 max in the last bucket');
  t.equal(bucketOf(2n ** 70n), MAX_BUCKET, 'beyond int64 clamps to the last bucket');
  const sketch = new LatencySketch();
  t.equal(sketch.add(Number.NaN), false, 'NaN is refused');
  t.equal(sketch.count, 0);
  t.equal(sketch.add(0), true);
  t.equal(sketch.add(-1e9), true);
  t.equal(sketch.add(-Infinity), true);
  t.equal(sketch.add(0.7), true, 'below 1 ns counts as zero');
  t.equal(sketch.count, 4);
  t.equal(sketch.quantileNs(1), 0, 'all four are zero');
  t.equal(sketch.add(Infinity), true);
  t.equal(sketch.add(2n ** 63n - 1n), true);
  t.equal(sketch.quantileNs(1), bucketEstimateNs(MAX_BUCKET));
  t.ok(Math.abs(bucketEstimateNs(MAX_BUCKET) / 2 ** 63 - 1) <= RELATIVE_ERROR);
  t.equal(new LatencySketch().quantileNs(0.5), null, 'empty: null');
  t.equal(sketch.quantileNs(Number.NaN), null);
  t.equal(sketch.quantileNs(1.5), null);
});

t.test('quantiles within the bound of exact quantiles, on several distributions', async (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const distributions: Record<string, () => number> = {
    uniform: () => Math.floor(1 + random() * 1e9),
    lognormal: () => Math.floor(Math.exp(13 + 2 * Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random()))) + 1,
    bimodal: () => (random() < 0.9 ? Math.floor(2e6 + random() * 1e6) : Math.floor(5e8 + random() * 5e8)),
    tiny: () => Math.floor(1 + random() * 20),
  };
  for (const [name, draw] of Object.entries(distributions)) {
    const values = Array.from({ length: 5000 }, draw);
    const sketch = new LatencySketch();
    for (const value of values) sketch.add(BigInt(value));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
      const exact = exactQuantile(sorted, q);
      const estimate = sketch.quantileNs(q)!;
      t.ok(Math.abs(estimate - exact) / exact <= RELATIVE_ERROR + 1e-12, `${name} q=${q}: ${estimate} vs ${exact}`);
    }
  }
});

t.test('merging is adding: across minutes and operations, in any order', async (t) => {
  const values = Array.from({ length: 3000 }, (_, i) => BigInt(1 + ((i * 7919) % 100_000) * 997));
  const whole = new LatencySketch();
  for (const value of values) whole.add(value);
  const parts = [new LatencySketch(), new LatencySketch(), new LatencySketch()];
  values.forEach((value, i) => parts[i % 3]!.add(value));
  const merged = new LatencySketch().merge(parts[2]!).merge(parts[0]!).merge(parts[1]!);
  t.strictSame(merged.toArrays(), whole.toArrays());
  t.equal(merged.count, 3000);
  const round = LatencySketch.fromArrays(whole.toArrays());
  t.strictSame(round.toArrays(), whole.toArrays(), 'arrays round-trip');
  t.strictSame(whole.toArrays().buckets, [...whole.toArrays().buckets].sort((a, b) => a - b), 'buckets ascending');
  // As the rollup readers fetch a stored sketch: array_to_string of each array.
  const stored = new LatencySketch();
  for (const part of parts) stored.addStoredText(part.toArrays().buckets.join(','), part.toArrays().counts.join(','));
  stored.addStoredText('', '');
  t.strictSame(stored.toArrays(), whole.toArrays(), 'stored sketches as text merge the same');
  t.equal(stored.count, 3000);
});

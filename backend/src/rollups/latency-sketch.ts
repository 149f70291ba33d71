// A mergeable latency sketch: a log-linear (exponential) histogram of
// durations in nanoseconds at a fixed scale, as OpenTelemetry's exponential
// histogram lays its buckets out. Bucket k holds durations d with
// 2^((k-1)/16) < d <= 2^(k/16), so k = ceil(log2(d) * 16); durations of zero
// or less share one bucket of their own. Sketches of any minutes, operations
// or services merge by adding counts bucket by bucket, and a quantile read
// from one is within RELATIVE_ERROR of the exact one.

/** Buckets per doubling: 2^SCALE. */
export const SCALE = 4;
const perDoubling = 2 ** SCALE;
/** The bucket of durations <= 0 (end before start, or equal). */
export const ZERO_BUCKET = -1;
/** The last bucket: (2^(1007/16), 2^63], where every int64 duration ends. */
export const MAX_BUCKET = 63 * perDoubling;
/**
 * The bound on |estimate - exact| / exact of a quantile: a bucket's estimate
 * is the geometric middle of its bounds, 2^((k - 0.5)/16), at most 2^(1/32)
 * (about 2.19%) away from any value in the bucket. Durations <= 0 are
 * estimated as 0, exactly.
 */
export const RELATIVE_ERROR = 2 ** (1 / (2 * perDoubling)) - 1;

/**
 * floor(2^(k/16)) for k = 0 … MAX_BUCKET - 1, exactly: an integer d is in a
 * bucket <= k exactly when d <= BOUNDS[k]. The 16 largest are integer roots
 * (bit by bit); every other is one of them shifted right, since
 * floor(floor(x) / 2^s) = floor(x / 2^s).
 */
const BOUNDS: readonly bigint[] = (() => {
  const top: bigint[] = [];
  for (let r = 0; r < perDoubling; r++) {
    const power = 2n ** BigInt(62 * perDoubling + r);
    let root = 0n;
    for (let bit = 63n; bit >= 0n; bit--) {
      const candidate = root | (1n << bit);
      if (candidate ** BigInt(perDoubling) <= power) root = candidate;
    }
    top.push(root);
  }
  const bounds: bigint[] = [];
  for (let k = 0; k < MAX_BUCKET; k++) bounds.push(top[k % perDoubling]! >> BigInt(62 - Math.floor(k / perDoubling)));
  return bounds;
})();

/** The upper bound of bucket k in integer nanoseconds (floor(2^(k/16))), for tests and the migration's table. */
export function bucketUpperBoundNs(k: number): bigint {
  return k >= MAX_BUCKET ? 2n ** 63n : BOUNDS[k]!;
}

/**
 * The bucket of a duration in nanoseconds: exact for every integer (the
 * float estimate is corrected against BOUNDS, so the SQL twin of this
 * function, red_latency_bucket, agrees on every value). Durations past 2^63
 * go into the last bucket.
 */
export function bucketOf(durationNs: bigint): number {
  if (durationNs <= 0n) return ZERO_BUCKET;
  let k = Math.min(MAX_BUCKET, Math.max(0, Math.ceil(Math.log2(Number(durationNs)) * perDoubling)));
  while (k > 0 && durationNs <= BOUNDS[k - 1]!) k--;
  while (k < MAX_BUCKET && durationNs > BOUNDS[k]!) k++;
  return k;
}

/** What a bucket's durations are estimated as, in nanoseconds: the geometric middle of its bounds. */
export function bucketEstimateNs(k: number): number {
  return k === ZERO_BUCKET ? 0 : 2 ** ((k - 0.5) / perDoubling);
}

/** A sketch as stored: bucket indexes ascending, and the count of each. */
export interface SketchArrays {
  buckets: number[];
  counts: number[];
}

export class LatencySketch {
  readonly #counts = new Map<number, number>();
  #total = 0;

  /** How many durations the sketch holds. */
  get count(): number {
    return this.#total;
  }

  /**
   * Adds a duration `times` times. A number is truncated to whole
   * nanoseconds (so below 1 ns counts as zero), infinity goes to the last
   * bucket; NaN is not a duration and is refused (false).
   */
  add(durationNs: bigint | number, times = 1): boolean {
    let bucket: number;
    if (typeof durationNs === 'bigint') bucket = bucketOf(durationNs);
    else if (Number.isNaN(durationNs)) return false;
    else if (durationNs === Infinity) bucket = MAX_BUCKET;
    else if (durationNs === -Infinity) bucket = ZERO_BUCKET;
    else bucket = bucketOf(BigInt(Math.trunc(durationNs)));
    this.addToBucket(bucket, times);
    return true;
  }

  addToBucket(bucket: number, times: number): void {
    if (times <= 0) return;
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + times);
    this.#total += times;
  }

  merge(other: LatencySketch): this {
    for (const [bucket, times] of other.#counts) this.addToBucket(bucket, times);
    return this;
  }

  /**
   * The q-quantile (0 <= q <= 1) in nanoseconds, by nearest rank: the
   * estimate of the bucket holding the ceil(q * n)-th smallest duration
   * (the smallest for q = 0). Null when the sketch is empty.
   */
  quantileNs(q: number): number | null {
    if (this.#total === 0 || !(q >= 0 && q <= 1)) return null;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (const bucket of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(bucket)!;
      if (seen >= rank) return bucketEstimateNs(bucket);
    }
    return bucketEstimateNs(MAX_BUCKET);
  }

  toArrays(): SketchArrays {
    const buckets = [...this.#counts.keys()].sort((a, b) => a - b);
    return { buckets, counts: buckets.map((bucket) => this.#counts.get(bucket)!) };
  }

  /**
   * Adds a stored sketch read as the text of its arrays,
   * `array_to_string(latency_buckets, ',')` and `array_to_string(latency_counts, ',')`:
   * rollup readers merge sketches here rather than in SQL, where unnesting them
   * into a row per bucket and grouping those took 28 of the 32 ms of a day's
   * services; read as arrays, their parsing took as long again.
   */
  addStoredText(buckets: string, counts: string): void {
    if (buckets === '') return;
    const times = counts.split(',');
    buckets.split(',').forEach((bucket, i) => this.addToBucket(Number(bucket), Number(times[i])));
  }

  static fromArrays({ buckets, counts }: SketchArrays): LatencySketch {
    const sketch = new LatencySketch();
    buckets.forEach((bucket, i) => sketch.addToBucket(bucket, counts[i] ?? 0));
    return sketch;
  }
}

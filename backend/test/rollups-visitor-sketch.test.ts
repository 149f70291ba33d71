// Covers the visitor sketch (rollups/visitor-sketch.ts) as pure code: exact
// counts up to EXACT_LIMIT distinct IDs, the HyperLogLog's estimate within 3
// standard errors at 10k, 100k and 1M IDs (random and sequential), merging
// associative, commutative and equal to the sketch of the union (byte for
// byte, across the exact/HyperLogLog cut-over), IDs read from int8send's
// bytes as PostgreSQL aggregates them, and the serialized form
// (version byte, sizes, round trip, refusal of unknown formats).
import fc from 'fast-check';
import t from 'tap';
import { EXACT_LIMIT, HLL_BYTES, PRECISION, STANDARD_ERROR, VisitorSketch } from '../src/rollups/visitor-sketch.ts';

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
// IDs drawn from a small pool as well, so that sets overlap and repeat.
const id = fc.oneof(int64, fc.bigInt({ min: -40n, max: 40n }));
const ids = (maxLength: number) => fc.array(id, { maxLength });
// Sets around the cut-over: many distinct IDs, some shared.
const largeIds = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 900 }), ids(40)).map(([seed, count, extra]) => [...randomIds(seed, count), ...extra]);

/** `count` pseudo-random int64 IDs from a seed (xorshift32 on two words), deterministic. */
function randomIds(seed: number, count: number): BigInt64Array {
  const out = new BigInt64Array(count);
  const words = new Uint32Array(out.buffer);
  let state = seed | 1;
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = Math.imul(state, 0x9e3779b1) >>> 0;
  }
  return out;
}

const bytesOf = (sketch: VisitorSketch) => sketch.serialize().toString('hex');

t.test('the stated bound: 4096 registers, 1.625% standard error, 4 KiB', async (t) => {
  t.equal(PRECISION, 12);
  t.equal(STANDARD_ERROR, 1.04 / 64);
  t.equal(HLL_BYTES, 3 + 4096);
  t.equal(EXACT_LIMIT * 8, 4096, 'the largest exact set is no larger than the HyperLogLog');
});

t.test('exact up to EXACT_LIMIT distinct IDs, a HyperLogLog past it', async (t) => {
  fc.assert(
    fc.property(fc.oneof(ids(60), largeIds), (values) => {
      const distinct = new Set(values).size;
      const sketch = VisitorSketch.of(values);
      if (sketch.isExact !== distinct <= EXACT_LIMIT) return false;
      return distinct > EXACT_LIMIT || sketch.estimate() === distinct;
    }),
    { numRuns: 300, seed: 8 },
  );
  t.equal(VisitorSketch.empty().estimate(), 0);
  t.equal(VisitorSketch.of(['5', '-5', '5', 5n]).estimate(), 2, 'decimal strings as pg returns int8, repeats once');
  t.equal(VisitorSketch.of([2n ** 64n - 1n, -1n]).estimate(), 1, 'a bigint is read as int64');
  const limit = randomIds(3, EXACT_LIMIT);
  t.ok(VisitorSketch.of(limit).isExact, `${EXACT_LIMIT} IDs: exact`);
  t.equal(VisitorSketch.of(limit).estimate(), EXACT_LIMIT);
  t.notOk(VisitorSketch.of(randomIds(3, EXACT_LIMIT + 1)).isExact, `${EXACT_LIMIT + 1} IDs: HyperLogLog`);
});

t.test("IDs as int8send's bytes give the sketch of the same IDs", async (t) => {
  fc.assert(
    fc.property(fc.oneof(ids(40), largeIds), (values) => {
      const bytes = Buffer.alloc(values.length * 8);
      values.forEach((value, i) => bytes.writeBigInt64BE(BigInt.asIntN(64, value), i * 8));
      // At an odd offset, as a Buffer out of a pg row may sit.
      const shifted = Buffer.concat([Buffer.from([0]), bytes]).subarray(1);
      return VisitorSketch.ofInt8Bytes(shifted).serialize().equals(VisitorSketch.of(values).serialize());
    }),
    { numRuns: 200, seed: 12 },
  );
  t.equal(VisitorSketch.ofInt8Bytes(Buffer.from('00000000000000050000000000000005ffffffffffffffff', 'hex')).estimate(), 2);
  t.throws(() => VisitorSketch.ofInt8Bytes(Buffer.alloc(7)), /broken length/);
});

t.test('merging is associative, commutative and equal to the sketch of the union', async (t) => {
  fc.assert(
    fc.property(fc.oneof(ids(30), largeIds), fc.oneof(ids(30), largeIds), fc.oneof(ids(30), largeIds), (a, b, c) => {
      const [sa, sb, sc] = [VisitorSketch.of(a), VisitorSketch.of(b), VisitorSketch.of(c)];
      const before = [bytesOf(sa), bytesOf(sb), bytesOf(sc)];
      const left = VisitorSketch.merge([VisitorSketch.merge([sa, sb]), sc]);
      const right = VisitorSketch.merge([sa, VisitorSketch.merge([sb, sc])]);
      const swapped = VisitorSketch.merge([sc, sb, sa]);
      const union = VisitorSketch.of([...a, ...b, ...c]);
      const unchanged = before.join() === [bytesOf(sa), bytesOf(sb), bytesOf(sc)].join();
      return unchanged && bytesOf(left) === bytesOf(right) && bytesOf(left) === bytesOf(swapped) && bytesOf(left) === bytesOf(union);
    }),
    { numRuns: 200, seed: 9 },
  );
  // In place: an exact sketch merged with a HyperLogLog becomes one.
  const small = VisitorSketch.of([1n, 2n, 3n]);
  small.mergeFrom(VisitorSketch.of(randomIds(5, 2000)));
  t.notOk(small.isExact);
  t.equal(bytesOf(small), bytesOf(VisitorSketch.of([1n, 2n, 3n, ...randomIds(5, 2000)])));
});

t.test('serialized: version byte 1, then the kind; round trips byte for byte', async (t) => {
  const exact = VisitorSketch.of([3n, -(2n ** 63n), 2n ** 63n - 1n, 3n]).serialize();
  t.equal(exact[0], 1, 'version');
  t.equal(exact[1], 0, 'exact');
  t.equal(exact.length, 2 + 3 * 8);
  t.equal(exact.readBigInt64LE(2), -(2n ** 63n), 'sorted, little-endian');
  t.equal(exact.readBigInt64LE(10), 3n);
  t.equal(exact.readBigInt64LE(18), 2n ** 63n - 1n);
  const hll = VisitorSketch.of(randomIds(7, 10_000)).serialize();
  t.same([hll[0], hll[1], hll[2], hll.length], [1, 1, PRECISION, HLL_BYTES]);
  fc.assert(
    fc.property(fc.oneof(ids(40), largeIds), (values) => {
      const sketch = VisitorSketch.of(values);
      const bytes = sketch.serialize();
      // A copy at an odd offset, as a Buffer out of a pg row may sit.
      const shifted = Buffer.concat([Buffer.from([0xff]), bytes]).subarray(1);
      const back = VisitorSketch.deserialize(shifted);
      return back.serialize().equals(bytes) && back.estimate() === sketch.estimate() && back.isExact === sketch.isExact;
    }),
    { numRuns: 200, seed: 10 },
  );
  t.throws(() => VisitorSketch.deserialize(Buffer.from([2, 0])), /version 2/);
  t.throws(() => VisitorSketch.deserialize(Buffer.from([1, 7])), /kind 7/);
  t.throws(() => VisitorSketch.deserialize(Buffer.from([1, 0, 1, 2, 3])), /length/);
  t.throws(() => VisitorSketch.deserialize(Buffer.from([1, 1, 14, 0])), /precision 14/);
  t.throws(() => VisitorSketch.deserialize(Buffer.alloc(0)), /version none/);
});

t.test('estimates within 3 standard errors at 10k, 100k and 1M IDs', async (t) => {
  const bound = 3 * STANDARD_ERROR;
  for (const [count, runs] of [
    [10_000, 20],
    [100_000, 5],
    [1_000_000, 2],
  ] as const) {
    let worst = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const error = Math.abs(VisitorSketch.of(randomIds(seed, count)).estimate() / count - 1);
        worst = Math.max(worst, error);
        return error <= bound;
      }),
      { numRuns: runs, seed: count },
    );
    t.ok(worst <= bound, `${count} random IDs: worst error ${(worst * 100).toFixed(2)}% <= ${(bound * 100).toFixed(2)}%`);
    const sequential = Array.from({ length: count }, (_, i) => BigInt(i + 1));
    const error = Math.abs(VisitorSketch.of(sequential).estimate() / count - 1);
    t.ok(error <= bound, `${count} sequential IDs: error ${(error * 100).toFixed(2)}%`);
  }
});

t.test('merged from many small exact sketches, the estimate of the union', async (t) => {
  // 200 buckets of 300 visitors each, drawn from 20,000 visitors: every sketch exact, their merge a HyperLogLog.
  const population = randomIds(11, 20_000);
  const buckets = Array.from({ length: 200 }, (_, bucket) => VisitorSketch.of(Array.from({ length: 300 }, (_, i) => population[(bucket * 7919 + i * 104_729) % population.length]!)));
  t.ok(buckets.every((sketch) => sketch.isExact));
  const distinct = new Set<bigint>();
  for (let bucket = 0; bucket < 200; bucket++) for (let i = 0; i < 300; i++) distinct.add(population[(bucket * 7919 + i * 104_729) % population.length]!);
  const merged = VisitorSketch.merge(buckets);
  t.notOk(merged.isExact);
  t.ok(Math.abs(merged.estimate() / distinct.size - 1) <= 3 * STANDARD_ERROR, `${merged.estimate().toFixed(0)} for ${distinct.size}`);
});

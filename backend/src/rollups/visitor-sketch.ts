// A mergeable distinct count of signed 64-bit IDs (visitor IDs, session IDs):
// the exact set while it is small, a HyperLogLog beyond. Rollup rows keep one
// per bucket and dimension value, and a query merges any buckets and values
// into one count, so a visitor seen in many buckets counts once.
//
// - Exact: up to EXACT_LIMIT distinct IDs, kept sorted. 512 IDs take 4 KiB,
//   what the HyperLogLog takes, so below that the exact set is never larger.
//   Most rollup rows (a page in a quarter hour) stay exact, and tests with
//   small numbers see exact counts.
// - HyperLogLog: 2^PRECISION = 4096 one-byte registers (4 KiB), standard
//   error 1.04 / sqrt(4096) = 1.625% (3 sigma 4.9%), read with Ertl's
//   improved estimator ("New cardinality estimation algorithms for
//   HyperLogLog sketches", 2017), which needs no bias tables and is unbiased
//   from 0 to far past 2^32, small range included.
//
// Merging is canonical: the merge of any sketches is the exact union when it
// has at most EXACT_LIMIT IDs, else the HyperLogLog of the union (registers
// depend only on the set). So merging is associative and commutative, byte for
// byte, whatever the order rows are merged in.
//
// IDs are hashed again before they reach a register (two rounds of murmur3's
// 32-bit finalizer over the halves): the IDs are already uniform hashes or
// random, but a sequence such as 1, 2, 3 must not skew the estimate either.
//
// Serialized (bytea): byte 0 the format version (1), byte 1 the kind
// (0 exact, 1 HyperLogLog); exact: the sorted IDs as little-endian int64;
// HyperLogLog: byte 2 the precision, then one byte per register.

/** Exact while the set holds at most this many IDs. */
export const EXACT_LIMIT = 512;
/** log2 of the HyperLogLog's register count. */
export const PRECISION = 12;
const registerCount = 1 << PRECISION;
/** The relative standard error of an estimate past EXACT_LIMIT: 1.04 / sqrt(2^PRECISION). */
export const STANDARD_ERROR = 1.04 / Math.sqrt(registerCount);
/** Bytes of a serialized HyperLogLog: the header and the registers. */
export const HLL_BYTES = 3 + registerCount;

const FORMAT_VERSION = 1;
const KIND_EXACT = 0;
const KIND_HLL = 1;
// Bits of the 64-bit hash after the register index: a register holds 0 (empty) … rankBits + 1.
const rankBits = 64 - PRECISION;
const lowBitsOfFirstWord = 32 - PRECISION;
const lowMask = (1 << lowBitsOfFirstWord) - 1;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class VisitorSketch {
  // Exactly one of the two is set: the sorted distinct IDs, or the registers.
  #exact: BigInt64Array | null;
  #registers: Uint8Array | null;

  private constructor(exact: BigInt64Array | null, registers: Uint8Array | null) {
    this.#exact = exact;
    this.#registers = registers;
  }

  /** The sketch of no IDs. */
  static empty(): VisitorSketch {
    return new VisitorSketch(new BigInt64Array(0), null);
  }

  /** The sketch of these IDs (int64 as bigint, or as the decimal strings `pg` returns); repeats count once. */
  static of(ids: Iterable<bigint | string>): VisitorSketch {
    if (ids instanceof BigInt64Array) return VisitorSketch.#fromUnsorted(ids.slice());
    const values: bigint[] = [];
    for (const id of ids) values.push(typeof id === 'bigint' ? BigInt.asIntN(64, id) : BigInt(id));
    return VisitorSketch.#fromUnsorted(BigInt64Array.from(values));
  }

  /**
   * The sketch of IDs given as PostgreSQL's int8send writes them, 8 bytes
   * big-endian each, back to back: what `string_agg(int8send(id), '')`
   * returns, which reaches here without a decimal string per ID.
   */
  static ofInt8Bytes(bytes: Uint8Array): VisitorSketch {
    if (bytes.length % 8 !== 0) throw new Error('visitor sketch: int8 bytes of a broken length');
    const values = new BigInt64Array(bytes.length / 8);
    const words = new Uint32Array(values.buffer);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const [loAt, hiAt] = littleEndian ? [0, 1] : [1, 0];
    for (let i = 0; i < values.length; i++) {
      words[2 * i + hiAt] = view.getUint32(8 * i);
      words[2 * i + loAt] = view.getUint32(8 * i + 4);
    }
    return VisitorSketch.#fromUnsorted(values);
  }

  static #fromUnsorted(values: BigInt64Array): VisitorSketch {
    const distinct = sortedDistinct(values);
    if (distinct.length <= EXACT_LIMIT) return new VisitorSketch(distinct, null);
    const registers = new Uint8Array(registerCount);
    addToRegisters(registers, distinct);
    return new VisitorSketch(null, registers);
  }

  /** Reads a sketch written by serialize(); throws on a format it does not know. */
  static deserialize(bytes: Uint8Array): VisitorSketch {
    if (bytes.length < 2 || bytes[0] !== FORMAT_VERSION) throw new Error(`visitor sketch: unknown format version ${bytes[0] ?? 'none'}`);
    if (bytes[1] === KIND_EXACT) {
      if ((bytes.length - 2) % 8 !== 0) throw new Error('visitor sketch: exact set of a broken length');
      const values = new BigInt64Array((bytes.length - 2) / 8);
      const target = new Uint8Array(values.buffer);
      target.set(bytes.subarray(2));
      if (!littleEndian) swapEach8(target);
      return new VisitorSketch(values, null);
    }
    if (bytes[1] === KIND_HLL) {
      if (bytes[2] !== PRECISION || bytes.length !== HLL_BYTES) throw new Error(`visitor sketch: HyperLogLog of precision ${bytes[2] ?? 'none'} and ${bytes.length} bytes`);
      return new VisitorSketch(null, bytes.slice(3));
    }
    throw new Error(`visitor sketch: unknown kind ${bytes[1]}`);
  }

  /** The merge of these sketches (none of them changed): the sketch of the union of their IDs. */
  static merge(sketches: Iterable<VisitorSketch>): VisitorSketch {
    const merged = VisitorSketch.empty();
    for (const sketch of sketches) merged.mergeFrom(sketch);
    return merged;
  }

  /** True while the sketch holds its IDs exactly (at most EXACT_LIMIT of them). */
  get isExact(): boolean {
    return this.#exact !== null;
  }

  /** Adds `other`'s IDs to this sketch (`other` is left as it is). */
  mergeFrom(other: VisitorSketch): void {
    const otherExact = other.#exact;
    const otherRegisters = other.#registers;
    if (this.#exact !== null && otherExact !== null) {
      if (otherExact.length === 0) return;
      if (this.#exact.length === 0) {
        this.#exact = otherExact.slice();
        return;
      }
      const union = new BigInt64Array(this.#exact.length + otherExact.length);
      union.set(this.#exact);
      union.set(otherExact, this.#exact.length);
      const merged = VisitorSketch.#fromUnsorted(union);
      this.#exact = merged.#exact;
      this.#registers = merged.#registers;
      return;
    }
    if (this.#registers === null) {
      // This one is exact, the other a HyperLogLog: this becomes a copy of the other plus its IDs.
      const registers = otherRegisters!.slice();
      addToRegisters(registers, this.#exact!);
      this.#exact = null;
      this.#registers = registers;
      return;
    }
    if (otherExact !== null) {
      addToRegisters(this.#registers, otherExact);
      return;
    }
    const registers = this.#registers;
    for (let i = 0; i < registerCount; i++) if (otherRegisters![i]! > registers[i]!) registers[i] = otherRegisters![i]!;
  }

  /** The number of distinct IDs: exact for an exact set, else within STANDARD_ERROR (one sigma). */
  estimate(): number {
    if (this.#exact !== null) return this.#exact.length;
    return estimateRegisters(this.#registers!);
  }

  /** The bytes to store (bytea). */
  serialize(): Buffer {
    if (this.#exact !== null) {
      const bytes = Buffer.alloc(2 + this.#exact.length * 8);
      bytes[0] = FORMAT_VERSION;
      bytes[1] = KIND_EXACT;
      bytes.set(new Uint8Array(this.#exact.buffer, this.#exact.byteOffset, this.#exact.length * 8), 2);
      if (!littleEndian) swapEach8(bytes.subarray(2));
      return bytes;
    }
    const bytes = Buffer.alloc(HLL_BYTES);
    bytes[0] = FORMAT_VERSION;
    bytes[1] = KIND_HLL;
    bytes[2] = PRECISION;
    bytes.set(this.#registers!, 3);
    return bytes;
  }
}

function sortedDistinct(values: BigInt64Array): BigInt64Array {
  values.sort();
  // Compared and moved as 32-bit halves: reading a BigInt64Array element allocates a bigint.
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let kept = 0;
  for (let i = 0; i < values.length; i++) {
    if (kept > 0 && words[2 * i] === words[2 * kept - 2] && words[2 * i + 1] === words[2 * kept - 1]) continue;
    words[2 * kept] = words[2 * i]!;
    words[2 * kept + 1] = words[2 * i + 1]!;
    kept++;
  }
  return kept === values.length ? values : values.slice(0, kept);
}

function swapEach8(bytes: Uint8Array): void {
  for (let at = 0; at + 8 <= bytes.length; at += 8) bytes.subarray(at, at + 8).reverse();
}

/** murmur3's 32-bit finalizer: every input bit reaches every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Adds IDs to HyperLogLog registers, reading their 32-bit halves (no bigint arithmetic). */
function addToRegisters(registers: Uint8Array, ids: BigInt64Array): void {
  const words = new Uint32Array(ids.buffer, ids.byteOffset, ids.length * 2);
  const [loAt, hiAt] = littleEndian ? [0, 1] : [1, 0];
  for (let i = 0; i < ids.length; i++) {
    const lo = words[2 * i + loAt]!;
    const hi = words[2 * i + hiAt]!;
    const first = fmix32(lo ^ fmix32(hi ^ 0x9e3779b9));
    const second = fmix32(hi ^ fmix32(lo ^ 0x7f4a7c15));
    const index = first >>> lowBitsOfFirstWord;
    // The rank: 1 + the leading zeros of the remaining 52 bits (first's low 20, then second's 32).
    const low = first & lowMask;
    const rank = low !== 0 ? Math.clz32(low) - PRECISION + 1 : second !== 0 ? lowBitsOfFirstWord + Math.clz32(second) + 1 : rankBits + 1;
    if (rank > registers[index]!) registers[index] = rank;
  }
}

/** Ertl's improved raw estimator over the register histogram (section 4 of the paper). */
function estimateRegisters(registers: Uint8Array): number {
  const histogram = new Array<number>(rankBits + 2).fill(0);
  for (let i = 0; i < registerCount; i++) histogram[registers[i]!]!++;
  const m = registerCount;
  let z = m * tau(1 - histogram[rankBits + 1]! / m);
  for (let k = rankBits; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
  z += m * sigma(histogram[0]! / m);
  const alphaInfinity = 1 / (2 * Math.LN2);
  return (alphaInfinity * m * m) / z;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}

// Covers randomId and randomInt64: IDs of the asked length, all distinct over
// many pool refills, and an ID handed out never changes when the pool is
// refilled after it (the pool is replaced, never rewritten).
import t from 'tap';
import { randomId, randomInt64 } from '../src/model/random-ids.ts';

t.test('randomId: the asked length, distinct, and stable across refills', async (t) => {
  const first = randomId(16);
  const copy = Buffer.from(first);
  const seen = new Set<string>([first.toString('hex')]);
  // 100,000 IDs of 16 bytes: about 390 pools of 4 KiB.
  let wrongLength = 0;
  for (let i = 0; i < 100_000; i++) {
    const id = randomId(16);
    if (id.length !== 16) wrongLength++;
    seen.add(id.toString('hex'));
  }
  t.equal(wrongLength, 0, 'every ID 16 bytes');
  t.equal(seen.size, 100_001, 'no ID twice');
  t.ok(first.equals(copy), 'the first ID is unchanged after hundreds of refills');
  t.equal(randomId(4096).length, 4096, 'a whole pool');
});

t.test('randomId: the bytes look random (each bit set about half the time)', async (t) => {
  const counts = new Array<number>(128).fill(0);
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const id = randomId(16);
    for (let bit = 0; bit < 128; bit++) if ((id[bit >> 3]! >> (bit & 7)) & 1) counts[bit]!++;
  }
  // Binomial(20,000, 0.5): sd ≈ 71; 6 sd either side.
  t.ok(counts.every((c) => Math.abs(c - n / 2) < 430), `bit frequencies ${Math.min(...counts)}–${Math.max(...counts)} of ${n}`);
});

t.test('randomInt64: distinct signed 64-bit integers of both signs', async (t) => {
  const seen = new Set<bigint>();
  let negative = 0;
  let outOfRange = 0;
  for (let i = 0; i < 50_000; i++) {
    const id = randomInt64();
    if (id < -(2n ** 63n) || id >= 2n ** 63n) outOfRange++;
    if (id < 0n) negative++;
    seen.add(id);
  }
  t.equal(outOfRange, 0);
  t.equal(seen.size, 50_000);
  t.ok(negative > 20_000 && negative < 30_000, `${negative} negative of 50,000`);
});

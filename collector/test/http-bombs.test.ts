// Covers decompression bombs on every OTLP/HTTP content encoding against a
// collector in its own process, its memory read from /proc as an operator
// would see it: bombs sent with a valid key are refused with 413 at the size
// cap, several at once; bombs sent with no key or an unknown one are refused
// with 401 before a byte is inflated; the collector keeps serving afterwards.
import zlib from 'node:zlib';
import t from 'tap';
import { INGEST_KEY, jsonRequest, jsonSpan } from './helpers/fixtures.ts';
import { startCollectorProcess } from './helpers/collector-process.ts';

const MiB = 1024 * 1024;
const budget = 64 * MiB;
const goodBody = JSON.stringify(jsonRequest([jsonSpan()]));

// 512 MiB of spaces behind each encoding: tiny on the wire, 8× the default size cap once inflated.
const inflated = 16 * MiB;
const copies = 32;
const bombs: [string, Buffer][] = [
  ['gzip', repeat(zlib.gzipSync(Buffer.alloc(inflated, ' '), { level: 9 }))],
  ['deflate', zlib.deflateSync(Buffer.alloc(inflated * copies, ' '), { level: 9 })],
  ['zstd', repeat(zlib.zstdCompressSync(Buffer.alloc(inflated, ' ')))],
];

function repeat(member: Buffer): Buffer {
  return Buffer.concat(Array.from({ length: copies }, () => member));
}

t.test('bombs with a valid key get 413 or 429 and memory stays bounded', async (t) => {
  const collector = await startCollectorProcess(t, { maxRequestBytes: 16 * MiB, maxInFlightBytes: budget });
  const url = `http://127.0.0.1:${collector.httpPort}/v1/traces`;
  const before = await collector.rssBytes();
  const answers = await Promise.all(
    bombs.flatMap(([encoding, bomb]) =>
      Array.from({ length: 8 }, () =>
        fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json', 'content-encoding': encoding },
          body: bomb,
        }).then((response) => response.status),
      ),
    ),
  );
  t.ok(
    answers.every((status) => status === 413 || status === 429),
    `${answers.length} bombs, each refused at the size cap (413) or once the budget is spent (429)`,
  );
  const peak = await collector.peakRssBytes();
  t.comment(`rss before ${Math.round(before / MiB)} MiB, peak ${Math.round(peak / MiB)} MiB for ${answers.length} bombs of ${(inflated * copies) / MiB} MiB each`);
  // Without the cap, one bomb alone would take 512 MiB, all of them 12 GiB. What
  // the budget gives back is garbage until the GC runs, hence the factor
  // (measured here: ~200 MiB above the start for 24 bombs on a 64 MiB budget).
  t.ok(peak - before < 4 * budget, 'peak memory stays within a small multiple of the in-flight budget');
  t.ok(collector.alive(), 'the collector is still running');
  const next = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' }, body: goodBody });
  t.equal(next.status, 200, 'and still serving');
});

t.test('bombs without a good key are refused before inflating', async (t) => {
  const collector = await startCollectorProcess(t);
  const url = `http://127.0.0.1:${collector.httpPort}/v1/traces`;
  const before = await collector.rssBytes();
  const keys = [null, 'Bearer ja_sk_not_a_key_of_this_collector', 'Basic abc'];
  const answers = await Promise.all(
    Array.from({ length: 18 }, (_, i) => {
      const [encoding, bomb] = bombs[i % bombs.length] as [string, Buffer];
      const authorization = keys[i % keys.length];
      return fetch(url, {
        method: 'POST',
        headers: { ...(authorization === null ? {} : { authorization }), 'content-type': 'application/json', 'content-encoding': encoding },
        body: bomb,
      }).then((response) => response.status);
    }),
  );
  t.same(new Set(answers), new Set([401]), 'every one is 401');
  const peak = await collector.peakRssBytes();
  t.ok(peak - before < 128 * MiB, `peak grew by ${Math.round((peak - before) / MiB)} MiB: nothing was inflated`);
});

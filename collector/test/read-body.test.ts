// Covers reading request bodies: identity, gzip, deflate (zlib and raw) and
// zstd; the size cap applied to bytes received and to bytes inflated; a
// gzip bomb stopped at the cap without the process's memory growing to its
// size; corrupt, truncated and aborted bodies; Content-Encoding parsing.
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import t from 'tap';
import { parseContentEncoding, readBody } from '../src/receivers/read-body.ts';
import { chunked, receiverError } from './helpers/receiver-error.ts';

const MiB = 1024 * 1024;
const payload = Buffer.from('{"resourceSpans":[]}'.repeat(5000));

t.test('Content-Encoding parsing', async (t) => {
  t.equal(parseContentEncoding(undefined), 'identity');
  t.equal(parseContentEncoding(''), 'identity');
  t.equal(parseContentEncoding('identity'), 'identity');
  t.equal(parseContentEncoding(' GZIP '), 'gzip');
  t.equal(parseContentEncoding('x-gzip'), 'gzip');
  t.equal(parseContentEncoding('deflate'), 'deflate');
  t.equal(parseContentEncoding('zstd'), 'zstd');
  for (const bad of ['br', 'gzip, deflate', 'compress', 'snappy']) {
    t.throws(() => parseContentEncoding(bad), { kind: 'malformed', message: /unsupported Content-Encoding/ }, bad);
  }
});

t.test('every encoding reads back the same bytes', async (t) => {
  const encoded: [string, Parameters<typeof readBody>[1], Buffer][] = [
    ['identity', 'identity', payload],
    ['gzip', 'gzip', zlib.gzipSync(payload)],
    ['deflate (zlib)', 'deflate', zlib.deflateSync(payload)],
    ['deflate (raw)', 'deflate', zlib.deflateRawSync(payload)],
    ['zstd', 'zstd', zlib.zstdCompressSync(payload)],
  ];
  for (const [what, encoding, body] of encoded) {
    t.same(await readBody(chunked(body, 777), encoding, 1 * MiB), payload, what);
  }
  t.same(await readBody(Readable.from([]), 'identity', 10), Buffer.alloc(0), 'empty');
});

t.test('the cap applies to the bytes received', async (t) => {
  const source = chunked(payload);
  const error = await receiverError(readBody(source, 'identity', payload.length - 1));
  t.equal(error.kind, 'too_large');
  t.match(error.message, `exceeds the limit of ${payload.length - 1} bytes`);
  t.same(await readBody(chunked(payload), 'identity', payload.length), payload, 'exactly at the cap is fine');
  // Incompressible data: the compressed body itself is over the cap.
  const noise = zlib.gzipSync(Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7919) % 251)));
  t.equal((await receiverError(readBody(chunked(noise), 'gzip', 1000))).kind, 'too_large');
});

t.test('the cap applies to the bytes inflated', async (t) => {
  const small = zlib.gzipSync(payload);
  t.ok(small.length < 1000, 'tiny on the wire');
  const error = await receiverError(readBody(chunked(small), 'gzip', 50_000));
  t.equal(error.kind, 'too_large');
  t.same(await readBody(chunked(small), 'gzip', payload.length), payload, 'exactly at the cap is fine');
});

t.test('a refused body is still drained, so a response can be sent', async (t) => {
  const source = chunked(payload);
  await receiverError(readBody(source, 'identity', 100));
  await finished(source);
  t.ok(source.readableEnded, 'read to its end');
});

// A valid multi-member gzip stream (RFC 1952): `members` copies of one
// member inflating to 16 MiB of zeros. Cheap to make, huge to inflate.
function gzipBomb(members: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => member));
}

t.test('a gzip bomb is cut off at the cap without inflating it all', async (t) => {
  const bomb = gzipBomb(128); // 2 GiB inflated
  t.ok(bomb.length < 4 * MiB, `${bomb.length} bytes on the wire`);
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const error = await receiverError(readBody(chunked(bomb, 64 * 1024), 'gzip', 8 * MiB));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  t.equal(error.kind, 'too_large');
  t.ok(peak - before < 256 * MiB, `memory grew by ${Math.round((peak - before) / MiB)} MiB for a 2048 MiB bomb`);
});

t.test('a zstd bomb is cut off too', async (t) => {
  const frame = zlib.zstdCompressSync(Buffer.alloc(16 * MiB));
  const bomb = Buffer.concat(Array.from({ length: 64 }, () => frame));
  const error = await receiverError(readBody(chunked(bomb, 64 * 1024), 'zstd', 4 * MiB));
  t.equal(error.kind, 'too_large');
});

t.test('corrupt compressed bodies are malformed', async (t) => {
  const gzip = zlib.gzipSync(payload);
  const cases: [string, Parameters<typeof readBody>[1], Buffer][] = [
    ['not gzip', 'gzip', Buffer.from('plain text, not gzip')],
    ['truncated gzip', 'gzip', gzip.subarray(0, gzip.length - 10)],
    ['empty gzip', 'gzip', Buffer.alloc(0)],
    ['not deflate', 'deflate', Buffer.from([0xff, 0xfe, 0xfd, 0xfc])],
    ['not zstd', 'zstd', Buffer.from('definitely not zstd')],
  ];
  for (const [what, encoding, body] of cases) {
    const error = await receiverError(readBody(chunked(body), encoding, MiB));
    t.equal(error.kind, 'malformed', what);
    t.match(error.message, /not valid/, what);
  }
});

t.test('a body that breaks off is malformed', async (t) => {
  const source = new PassThrough();
  const reading = readBody(source, 'identity', MiB);
  source.write(Buffer.from('partial'));
  source.destroy(new Error('socket hang up'));
  t.equal((await receiverError(reading)).kind, 'malformed');

  const gone = new PassThrough();
  gone.destroy();
  t.equal((await receiverError(readBody(gone, 'identity', MiB))).kind, 'malformed', 'already destroyed');
});

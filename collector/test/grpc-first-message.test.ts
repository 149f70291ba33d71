// Covers FirstMessageWatch, which follows a call's first gRPC message through
// its wire chunks for the admission: it reports the message once, with the
// chunk holding its last byte, however the bytes are split (inside the
// length prefix, a byte at a time, the whole call at once); it reads a gzip
// message's declared inflated size (ISIZE) from its trailer, and none for
// plain, deflate or too-short messages; and it ignores what follows. Also
// covers peerAddress, the client address taken from grpc-js's peer string.
import zlib from 'node:zlib';
import t from 'tap';
import { peerAddress } from '../src/receivers/grpc-admission.ts';
import { FirstMessageWatch } from '../src/receivers/grpc-first-message.ts';
import type { FirstMessage } from '../src/receivers/grpc-first-message.ts';
import { grpcFrame } from './helpers/grpc-client.ts';

/** Feeds `wire` in chunks of the given sizes (the rest as the last); returns what each write returned. */
function feed(wire: Buffer, sizes: number[]): (FirstMessage | null)[] {
  const watch = new FirstMessageWatch();
  const results: (FirstMessage | null)[] = [];
  let offset = 0;
  for (const size of [...sizes, wire.length]) {
    if (offset >= wire.length) break;
    results.push(watch.write(wire.subarray(offset, offset + size)));
    offset += size;
  }
  return results;
}

const inflated = Buffer.alloc(100_000, 'a');
const gzipped = zlib.gzipSync(inflated);
const cases: [string, Buffer, FirstMessage][] = [
  ['plain', grpcFrame(inflated), { length: inflated.length, compressed: false, gzipInflatedSize: null }],
  ['gzip', grpcFrame(gzipped, { compressed: true }), { length: gzipped.length, compressed: true, gzipInflatedSize: inflated.length }],
  ['deflate', grpcFrame(zlib.deflateSync(inflated), { compressed: true }), { length: zlib.deflateSync(inflated).length, compressed: true, gzipInflatedSize: null }],
  ['empty', grpcFrame(Buffer.alloc(0)), { length: 0, compressed: false, gzipInflatedSize: null }],
  ['gzip magic, too short for a trailer', grpcFrame(Buffer.of(0x1f, 0x8b, 1, 2), { compressed: true }), { length: 4, compressed: true, gzipInflatedSize: null }],
];

for (const [what, wire, expected] of cases) {
  t.test(what, async (t) => {
    for (const sizes of [[], [1], [3, 1, 1], [5], [6, 2, 1, 1], [wire.length - 1], Array.from({ length: wire.length }, () => 1)]) {
      const results = feed(wire, sizes);
      const label = sizes.length > 10 ? 'a byte at a time' : `chunks of ${sizes.join(', ') || 'all'}`;
      t.same(results.at(-1), expected, `${label}: reported with the last byte`);
      t.ok(
        results.slice(0, -1).every((result) => result === null),
        `${label}: not before`,
      );
    }
  });
}

t.test('what follows the first message is ignored', async (t) => {
  const watch = new FirstMessageWatch();
  const first = grpcFrame(Buffer.from('one'));
  t.same(watch.write(Buffer.concat([first, grpcFrame(Buffer.from('two'))])), { length: 3, compressed: false, gzipInflatedSize: null });
  t.equal(watch.write(grpcFrame(Buffer.from('three'))), null);
});

t.test('a gzip trailer is taken as declared, even when it lies', async (t) => {
  const lying = Buffer.from(gzipped);
  lying.writeUInt32LE(7, lying.length - 4);
  t.equal(new FirstMessageWatch().write(grpcFrame(lying, { compressed: true }))?.gzipInflatedSize, 7);
});

t.test('peer addresses, as grpc-js writes them', async (t) => {
  t.equal(peerAddress('127.0.0.1:5678'), '127.0.0.1');
  t.equal(peerAddress('[::1]:5678'), '::1');
  t.equal(peerAddress('::1:5678'), '::1', 'grpc-js writes IPv6 peers without brackets');
  t.equal(peerAddress('2001:db8::7:443'), '2001:db8::7');
  t.equal(peerAddress('::ffff:10.0.0.1:80'), '::ffff:10.0.0.1');
  t.equal(peerAddress('unknown'), 'unknown');
  t.equal(peerAddress('/tmp/grpc.sock'), '/tmp/grpc.sock');
});

// Covers abuse of the OTLP/gRPC receiver. Against a collector in its own
// process, its memory read from /proc as an operator would see it:
// gzip bombs with no key, random keys or a key without ingest scope are
// refused at the headers (UNAUTHENTICATED, PERMISSION_DENIED) and nothing is
// inflated; a flood of streams on one connection beyond its limit is refused
// stream by stream (REFUSED_STREAM) while the collector stays up and serving,
// and the stalled streams admitted are ended by the time limit. In process:
// a well-behaved client with more calls than the limit is not hurt by it;
// a stalled call (half a message, then nothing) is ended with
// DEADLINE_EXCEEDED and its memory given back; shutdown does not wait past
// its deadline for stalled calls, nor for a client that never reads its
// answer (its connection is cut); a message is reserved from the memory
// budget while it arrives, so one too large for what is left is refused with
// RESOURCE_EXHAUSTED and RetryInfo before it has arrived (this relies on
// grpc-js's call exposing its HTTP/2 stream: the test fails if it stops),
// while a smaller one beside it passes.
import net from 'node:net';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { status as GrpcCode } from '@grpc/grpc-js';
import { RpcStatus } from '@justanalytics/proto';
import pino from 'pino';
import t from 'tap';
import type { Test } from 'tap';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import type { OtlpGrpcOptions } from '../src/receivers/otlp-grpc.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { startCollectorProcess } from './helpers/collector-process.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, READ_ONLY_KEY, silentLogger } from './helpers/fixtures.ts';
import { EXPORT_PATH, grpcFrame, rawExport, rawSession, traceExportClient } from './helpers/grpc-client.ts';
import type { RawOutcome } from './helpers/grpc-client.ts';
import { GatedSink } from './helpers/test-doubles.ts';

const MiB = 1024 * 1024;
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
const body = protobufRequest(jsonRequest([jsonSpan()]));

function retryInfoOf(outcome: RawOutcome): string[] {
  if (outcome.statusDetails === undefined) return [];
  return (RpcStatus.decode(outcome.statusDetails) as unknown as { details: { typeUrl: string }[] }).details.map((detail) => detail.typeUrl);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

t.test('gzip bombs without a good key are refused at the headers: nothing is inflated', { timeout: 30_000 }, async (t) => {
  const collector = await startCollectorProcess(t);
  // 60 MiB of zeros in 61 KB, the size found in the attack.
  const bomb = zlib.gzipSync(Buffer.alloc(60 * MiB), { level: 9 });
  const before = await collector.rssBytes();

  const session = rawSession(collector.grpcPort);
  t.teardown(() => session.close());
  const randomKey = (): string => `ja_sk_${Math.random().toString(36).slice(2)}`;
  // All at once on one connection, as the attack sent them; half of them never end their request.
  const refused = Array.from({ length: 24 }, (_, i) =>
    rawExport(session, { key: i % 2 === 0 ? null : randomKey(), encoding: 'gzip', body: grpcFrame(bomb, { compressed: true }), end: i % 4 < 2 }).outcome,
  );
  const denied = Array.from({ length: 4 }, () => rawExport(session, { key: READ_ONLY_KEY, encoding: 'gzip', body: grpcFrame(bomb, { compressed: true }) }).outcome);
  // And a real grpc-js client, which compresses the 60 MiB itself.
  const client = traceExportClient(collector.grpcPort, { gzip: true });
  t.teardown(() => client.close());
  const fromGrpcJs = [client.export(Buffer.alloc(60 * MiB), null), client.export(Buffer.alloc(60 * MiB), 'ja_sk_not_a_key_here')];

  t.same(
    (await Promise.all(refused)).map((outcome) => outcome.code),
    Array.from({ length: 24 }, () => GrpcCode.UNAUTHENTICATED),
    '24 bombs with no key or a random key: UNAUTHENTICATED, the unfinished ones too (their streams reset)',
  );
  t.same(
    (await Promise.all(denied)).map((outcome) => outcome.code),
    Array.from({ length: 4 }, () => GrpcCode.PERMISSION_DENIED),
    'a key without ingest scope: PERMISSION_DENIED',
  );
  t.same(
    (await Promise.all(fromGrpcJs)).map((result) => result.error?.code),
    [GrpcCode.UNAUTHENTICATED, GrpcCode.UNAUTHENTICATED],
    'grpc-js clients get UNAUTHENTICATED too',
  );

  const peak = await collector.peakRssBytes();
  t.comment(`rss before ${Math.round(before / MiB)} MiB, peak ${Math.round(peak / MiB)} MiB for 30 bombs of 60 MiB`);
  // Before calls were refused at their headers, grpc-js read and inflated
  // every bomb first: 20 of them took this collector from ~160 MiB to 1.7–2.5 GiB.
  t.ok(peak - before < 128 * MiB, `peak grew by ${Math.round((peak - before) / MiB)} MiB: nothing was inflated`);
  t.ok(peak < 400 * MiB, 'and stays far below what one inflated bomb per call would take');
  t.equal((await client.export(body)).error, null, 'the collector still serves');
});

/** HTTP/2 frames read from a raw connection, by type. */
interface FrameCounts {
  refusedStreams: number;
  resetNoError: number;
  endedWithHeaders: number;
  goaway: boolean;
}

/**
 * Opens `count` calls on one raw HTTP/2 connection in one write, with a good
 * key and no message, ignoring the server's stream limit as a client set on
 * flooding would; resolves with what the server sent once `until` says so.
 */
async function flood(port: number, count: number, until: (counts: FrameCounts) => boolean): Promise<FrameCounts> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const counts: FrameCounts = { refusedStreams: 0, resetNoError: 0, endedWithHeaders: 0, goaway: false };
  const done = new Promise<void>((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 9) {
        const length = received.readUIntBE(0, 3);
        if (received.length < 9 + length) break;
        const [type, flags] = [received[3], received[4] as number];
        const payload = received.subarray(9, 9 + length);
        if (type === 0x4 && (flags & 0x1) === 0) socket.write(frame(0x4, 0x1, 0, Buffer.alloc(0))); // SETTINGS: acknowledge
        if (type === 0x3) {
          const code = payload.readUInt32BE(0);
          if (code === 0x7) counts.refusedStreams++;
          else if (code === 0x0) counts.resetNoError++;
        }
        if (type === 0x1 && (flags & 0x1) !== 0) counts.endedWithHeaders++;
        if (type === 0x7) counts.goaway = true;
        received = received.subarray(9 + length);
      }
      if (until(counts)) resolve();
    });
    socket.once('error', reject);
    socket.once('close', () => (until(counts) ? resolve() : reject(new Error(`connection closed early: ${JSON.stringify(counts)}`))));
  });
  const headers = hpack([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', EXPORT_PATH],
    [':authority', `127.0.0.1:${port}`],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['authorization', `Bearer ${INGEST_KEY}`],
  ]);
  const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, Buffer.alloc(0))];
  for (let i = 0; i < count; i++) frames.push(frame(0x1, 0x4, 1 + 2 * i, headers)); // HEADERS, END_HEADERS, no END_STREAM
  socket.write(Buffer.concat(frames));
  try {
    await done;
  } finally {
    socket.destroy();
  }
  return counts;
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** HPACK literals without indexing and without Huffman coding (RFC 7541 §6.2.2): valid, and simple to write. */
function hpack(headers: [string, string][]): Buffer {
  const text = (value: string): Buffer => {
    const bytes = Buffer.from(value);
    if (bytes.length > 126) throw new Error('hpack: value too long for this helper');
    return Buffer.concat([Buffer.of(bytes.length), bytes]);
  };
  return Buffer.concat(headers.map(([name, value]) => Buffer.concat([Buffer.of(0x00), text(name), text(value)])));
}

t.test('a flood of streams on one connection is refused beyond the limit; the collector stays up', { timeout: 30_000 }, async (t) => {
  const requestTimeoutMs = 1000;
  const collector = await startCollectorProcess(t, { requestTimeoutMs });
  const streams = 1000;
  const started = Date.now();
  const counts = await flood(collector.grpcPort, streams, (seen) => seen.refusedStreams + seen.endedWithHeaders >= streams && seen.resetNoError >= seen.endedWithHeaders);
  t.equal(counts.goaway, false, 'the connection was not torn down');
  t.equal(counts.refusedStreams, streams - 100, 'streams beyond 100 are refused (REFUSED_STREAM: clients retry them)');
  t.equal(counts.endedWithHeaders, 100, 'the 100 admitted, stalled calls are ended with a status');
  t.equal(counts.resetNoError, 100, 'and their streams reset, since their client never ended them');
  t.ok(Date.now() - started >= requestTimeoutMs - 50, 'once their time limit has passed');
  t.ok(collector.alive(), 'the collector is still running');
  const client = traceExportClient(collector.grpcPort);
  t.teardown(() => client.close());
  t.equal((await client.export(body)).error, null, 'and serving');
});


/** A receiver in this process, and what its logger wrote at warn and above. */
async function serve(t: Test, options: Partial<OtlpGrpcOptions> = {}) {
  const warnings: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        warnings.push(chunk.toString());
        done();
      },
    }),
  );
  const server = createOtlpGrpcServer({ sink: new MemorySink(), keys, logger, ...options });
  const port = await server.listen('127.0.0.1', 0);
  const session = rawSession(port);
  const client = traceExportClient(port);
  t.teardown(async () => {
    client.close();
    session.close();
    await server.close();
  });
  return { server, port, session, client, warnings };
}

t.test('a client with more calls at once than the stream limit: they wait their turn and all pass', { timeout: 30_000 }, async (t) => {
  const { client } = await serve(t, { maxConcurrentStreams: 10 });
  const results = await Promise.all(Array.from({ length: 300 }, () => client.export(body)));
  t.same([...new Set(results.map((result) => result.error))], [null], '300 calls, 10 at a time');
});

t.test('a stalled call is ended by the time limit and gives its memory back', { timeout: 30_000 }, async (t) => {
  const memoryBudget = new MemoryBudget(64 * MiB);
  const { session } = await serve(t, { memoryBudget, requestTimeoutMs: 1000 });
  const message = grpcFrame(Buffer.alloc(200_000, 1));

  const started = Date.now();
  const halfMessage = rawExport(session, { body: message.subarray(0, 100_000), end: false });
  const headersOnly = rawExport(session, { end: false });
  await sleep(200);
  t.ok(memoryBudget.reserved > 0, `while it arrives, what has arrived is reserved (${memoryBudget.reserved} bytes)`);

  // The client never ends these streams: their outcomes settle only because the server resets them.
  for (const [what, call] of [['half a message', halfMessage], ['headers only', headersOnly]] as const) {
    const outcome = await call.outcome;
    t.equal(outcome.code, GrpcCode.DEADLINE_EXCEEDED, `${what}: DEADLINE_EXCEEDED`);
    t.match(outcome.message, /did not arrive whole within 1000 ms/, what);
  }
  t.ok(Date.now() - started >= 950, 'after the time limit');
  t.equal(memoryBudget.reserved, 0, 'all given back');
});

t.test('shutdown does not wait past its deadline for a stalled call, nor for a client that reads nothing', { timeout: 30_000 }, async (t) => {
  const { server, session, port } = await serve(t, { requestTimeoutMs: 60_000, shutdownTimeoutMs: 300 });
  const stalled = rawExport(session, { body: grpcFrame(body).subarray(0, 10), end: false });
  // A whole request, but a flow-control window of 0: its answer can never be sent.
  const deaf = rawSession(port, { initialWindowSize: 0 });
  t.teardown(() => deaf.destroy());
  const unanswerable = rawExport(deaf, { body: grpcFrame(body) });
  await sleep(200);

  const started = Date.now();
  await server.close();
  const took = Date.now() - started;
  t.ok(took < 3000, `closed in ${took} ms, well before the stalled call's 60 s time limit`);
  const outcome = await stalled.outcome;
  t.equal(outcome.code, GrpcCode.UNAVAILABLE, 'the stalled call is told to retry elsewhere');
  t.same(retryInfoOf(outcome), [RETRY_INFO]);
  t.ok(took >= 1000, 'the connections were cut once the answers had had 1 s to leave');
  t.not((await unanswerable.outcome).code, GrpcCode.OK, 'the unanswerable call was cut off with its connection');
});

t.test('a message is reserved while it arrives: one too large for what is left is refused before it has arrived', { timeout: 30_000 }, async (t) => {
  const memoryBudget = new MemoryBudget(1 * MiB);
  const sink = new GatedSink();
  const { session, client, warnings } = await serve(t, { memoryBudget, sink, requestTimeoutMs: 10_000 });

  // A small export that holds part of the budget until the sink opens.
  const small = client.export(body);
  await sink.waitFor(1);
  const heldBySmall = memoryBudget.reserved;
  t.ok(heldBySmall > 0 && heldBySmall < 64 * 1024, `the small export holds ${heldBySmall} bytes`);

  // 4 MiB announced, 1.5 MiB sent, then nothing: only metering the bytes as they come can refuse it now.
  const large = grpcFrame(Buffer.alloc(4 * MiB, 1));
  const started = Date.now();
  const partial = rawExport(session, { body: large.subarray(0, 1.5 * MiB), end: false });
  const outcome = await partial.outcome;
  t.equal(outcome.code, GrpcCode.RESOURCE_EXHAUSTED, 'refused with RESOURCE_EXHAUSTED');
  t.same(retryInfoOf(outcome), [RETRY_INFO], 'retryable: RetryInfo is attached');
  t.ok(Date.now() - started < 5000, 'while it was still arriving, not at the time limit');
  t.equal(memoryBudget.reserved, heldBySmall, 'it gave back what it had reserved');

  // A whole large message from a real client, and a gzip one whose trailer declares 8 MiB.
  t.equal((await client.export(large.subarray(5))).error?.code, GrpcCode.RESOURCE_EXHAUSTED, 'grpc-js client: refused');
  const gzipped = await rawExport(session, { encoding: 'gzip', body: grpcFrame(zlib.gzipSync(Buffer.alloc(8 * MiB)), { compressed: true }) }).outcome;
  t.equal(gzipped.code, GrpcCode.RESOURCE_EXHAUSTED, 'gzip declaring more than is left: refused before it is inflated');
  t.same(retryInfoOf(gzipped), [RETRY_INFO]);

  const another = client.export(body);
  await sink.waitFor(2);
  sink.open();
  t.same(
    (await Promise.all([small, another])).map((result) => result.error),
    [null, null],
    'the smaller ones beside them pass',
  );
  t.equal(memoryBudget.reserved, 0, 'all given back');
  t.same(
    warnings.filter((line) => line.includes('HTTP/2 stream')),
    [],
    'grpc-js exposed its stream: no fallback warning',
  );
});

t.test('options are validated', { timeout: 30_000 }, async (t) => {
  const base = { sink: new MemorySink(), keys, logger: silentLogger };
  for (const name of ['requestTimeoutMs', 'maxConcurrentStreams', 'maxSessionMemoryMb', 'shutdownTimeoutMs'] as const) {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      t.throws(() => createOtlpGrpcServer({ ...base, [name]: bad }), TypeError, `${name}: ${bad}`);
    }
  }
});

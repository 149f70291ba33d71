// Covers the request memory budget on its own: MemoryBudget's accounting
// (the limit, a reservation larger than the limit granted only to a caller
// holding everything reserved, release, argument checks); MemoryReservation
// (refusal as a retryable `overloaded` ReceiverError, topping up, release);
// readBody reserving every inflated chunk and stopping at a refusal; and
// exportSignal holding the body and its decoded rows until the sink has
// answered, then giving everything back, on success and on every failure.
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import pino from 'pino';
import t from 'tap';
import { DEFAULT_DECODE_LIMITS } from '../src/decode/decode-limits.ts';
import { ReceiverError } from '../src/receivers/errors.ts';
import { exportSignal } from '../src/receivers/export.ts';
import type { ExportCall, ExportContext } from '../src/receivers/export.ts';
import { InFlight } from '../src/receivers/in-flight.ts';
import { MemoryBudget, MemoryReservation } from '../src/receivers/memory-budget.ts';
import { readBody } from '../src/receivers/read-body.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import type { Sink, WriteResult } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest } from './helpers/fixtures.ts';
import { chunked, receiverError } from './helpers/receiver-error.ts';

const log = pino({ level: 'silent' });
const jsonBody = Buffer.from(JSON.stringify(jsonRequest([jsonSpan()])));

t.test('MemoryBudget: grants what fits under the limit, refuses the rest', async (t) => {
  const budget = new MemoryBudget(100);
  t.equal(budget.limit, 100);
  t.equal(budget.reserved, 0);
  t.ok(budget.tryReserve(60));
  t.ok(budget.tryReserve(40), 'exactly up to the limit');
  t.equal(budget.reserved, 100);
  t.notOk(budget.tryReserve(1), 'past the limit');
  t.ok(budget.tryReserve(0), 'nothing always fits');
  t.equal(budget.reserved, 100, 'a refusal reserves nothing');
  budget.release(60);
  t.equal(budget.reserved, 40);
  t.ok(budget.tryReserve(50));
  budget.release(90);
  t.equal(budget.reserved, 0);
});

t.test('MemoryBudget: more than the limit only for whoever holds everything reserved', async (t) => {
  const budget = new MemoryBudget(100);
  t.ok(budget.tryReserve(500), 'alone, a reservation may exceed the limit');
  t.equal(budget.reserved, 500);
  t.notOk(budget.tryReserve(1), 'then nobody else gets anything');
  t.ok(budget.tryReserve(300, 500), 'its holder may grow further');
  budget.release(800);

  t.ok(budget.tryReserve(10), 'someone holds 10');
  t.notOk(budget.tryReserve(500), 'a big one is refused while others hold bytes');
  t.notOk(budget.tryReserve(91), 'and so is anything past the limit');
  t.ok(budget.tryReserve(95, 10), 'the holder of those 10 is alone: granted');
  t.equal(budget.reserved, 105);
  budget.release(105);
});

t.test('MemoryBudget: checks its arguments', async (t) => {
  for (const limit of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) t.throws(() => new MemoryBudget(limit), RangeError, String(limit));
  const budget = new MemoryBudget(100);
  t.throws(() => budget.tryReserve(-1), RangeError);
  t.throws(() => budget.tryReserve(1.5), RangeError);
  t.throws(() => budget.tryReserve(1, 5), RangeError, 'holding more than is reserved');
  budget.tryReserve(10);
  t.throws(() => budget.release(11), RangeError, 'releasing more than is reserved');
  t.throws(() => budget.release(-1), RangeError);
  t.equal(budget.reserved, 10, 'failed calls change nothing');
});

t.test('MemoryReservation: refuses with a retryable overloaded error, releases all it holds', async (t) => {
  const budget = new MemoryBudget(100);
  const other = new MemoryReservation(budget);
  other.reserve(30);
  const mine = new MemoryReservation(budget);
  const { reserve } = mine;
  reserve(50);
  t.equal(mine.held, 50);
  t.throws(() => reserve(21), { name: 'ReceiverError', kind: 'overloaded', retryAfterSeconds: 1 });
  t.equal(mine.held, 50, 'a refusal holds nothing more');
  mine.reserveTotal(60);
  t.equal(mine.held, 60, 'topped up to the total');
  mine.reserveTotal(10);
  t.equal(mine.held, 60, 'a total below what is held changes nothing');
  mine.release();
  t.equal(mine.held, 0);
  t.equal(budget.reserved, 30, 'only its own bytes are given back');
  other.release();
  mine.release();
  t.equal(budget.reserved, 0, 'releasing twice gives back nothing twice');
});

t.test('readBody reserves every inflated byte before keeping it', async (t) => {
  const payload = Buffer.from('{"resourceSpans":[]}'.repeat(20_000));
  for (const [encoding, body] of [
    ['identity', payload],
    ['gzip', zlib.gzipSync(payload)],
  ] as const) {
    const reserved: number[] = [];
    const read = await readBody(chunked(body, 4096), encoding, payload.length, (bytes) => reserved.push(bytes));
    t.same(read, payload, encoding);
    t.ok(reserved.length > 1, `${encoding}: chunk by chunk`);
    t.equal(
      reserved.reduce((sum, bytes) => sum + bytes, 0),
      payload.length,
      `${encoding}: the inflated size, not the size on the wire`,
    );
  }
});

t.test('readBody stops at a refused reservation and drains the rest', async (t) => {
  const payload = Buffer.from('x'.repeat(1_000_000));
  const limit = 400_000;
  for (const [encoding, body] of [
    ['identity', payload],
    ['zstd', zlib.zstdCompressSync(payload)],
  ] as const) {
    const budget = new MemoryBudget(limit);
    // Another request holds a byte, so this one may not pass the limit.
    budget.tryReserve(1);
    const mine = new MemoryReservation(budget);
    const source = chunked(body, 10_000);
    const error = await receiverError(readBody(source, encoding, payload.length, mine.reserve));
    t.equal(error.kind, 'overloaded', encoding);
    t.ok(mine.held > 0 && mine.held < limit, `${encoding}: it held what it read until refused (${mine.held})`);
    await finished(source);
    t.pass(`${encoding}: the source was drained`);
  }
});

t.test('readBody: a reserve that fails unexpectedly is an internal error, not a hang', async (t) => {
  const source = new PassThrough();
  const reading = readBody(source, 'identity', 1000, () => {
    throw new TypeError('bug');
  });
  source.end(Buffer.from('abc'));
  t.equal((await receiverError(reading)).kind, 'internal');
});

/** A sink whose writes wait until open() is called. */
function gatedSink(): Sink & { open(): void; entered: Promise<void> } {
  const gate = Promise.withResolvers<void>();
  const entered = Promise.withResolvers<void>();
  return {
    async write(): Promise<WriteResult> {
      entered.resolve();
      await gate.promise;
      return { rejected: 0, message: '' };
    },
    open: () => gate.resolve(),
    entered: entered.promise,
  };
}

function call(body: Buffer, overrides: Partial<ExportCall> = {}): ExportCall {
  return { authorization: `Bearer ${INGEST_KEY}`, clientAddress: '127.0.0.1', encoding: 'json', log, readBody: async () => body, ...overrides };
}

const context = (sink: Sink, memoryBudget: MemoryBudget): ExportContext => ({ sink, keys, inFlight: new InFlight(), memoryBudget });

t.test('exportSignal holds the body and an allowance for its rows until the sink answers', async (t) => {
  const protobufBody = protobufRequest(jsonRequest([jsonSpan()]));
  const held: Record<string, number> = {};
  for (const [encoding, body] of [
    ['json', jsonBody],
    ['protobuf', protobufBody],
  ] as const) {
    const budget = new MemoryBudget(1024 * 1024);
    const sink = gatedSink();
    const exporting = exportSignal(tracesSignal, context(sink, budget), call(body, { encoding }));
    await sink.entered;
    held[encoding] = budget.reserved / body.length;
    t.ok(budget.reserved >= 2 * body.length, `${encoding}: more than the body (${held[encoding]}× its size)`);
    t.equal(budget.reserved, body.length + tracesSignal.scan(body, encoding, DEFAULT_DECODE_LIMITS).decodedBytes, `${encoding}: the body and what decoding it builds, as counted`);
    sink.open();
    await exporting;
    t.equal(budget.reserved, 0, `${encoding}: all given back`);
  }
  t.ok((held.protobuf ?? 0) > (held.json ?? 0), 'protobuf, denser, is given the larger allowance');
});

t.test('a body reserved while it streamed in is not reserved twice', async (t) => {
  const budget = new MemoryBudget(1024 * 1024);
  const sink = gatedSink();
  const streamed = exportSignal(
    tracesSignal,
    context(sink, budget),
    call(jsonBody, {
      readBody: async (reserve) => {
        reserve(jsonBody.length);
        return jsonBody;
      },
    }),
  );
  await sink.entered;
  const streamedHeld = budget.reserved;
  sink.open();
  await streamed;

  const whole = gatedSink();
  const given = exportSignal(tracesSignal, context(whole, budget), call(jsonBody));
  await whole.entered;
  t.equal(streamedHeld, budget.reserved, 'the same as a body that came whole');
  whole.open();
  await given;
  t.equal(budget.reserved, 0);
});

t.test('exportSignal gives everything back whatever the failure', async (t) => {
  const budget = new MemoryBudget(1024 * 1024);
  const failures: [string, Sink, ExportCall][] = [
    ['malformed body', new MemorySink(), call(Buffer.from('{"resourceSpans": ['))],
    ['failing sink', new ErrorSink(new RangeError('bug')), call(jsonBody)],
    [
      'too large, after part of the body was reserved',
      new MemorySink(),
      call(jsonBody, {
        readBody: async (reserve) => {
          reserve(1000);
          throw new ReceiverError('too_large', 'big');
        },
      }),
    ],
    ['refused key', new MemorySink(), call(jsonBody, { authorization: 'Bearer ja_sk_unknown' })],
  ];
  for (const [what, sink, request] of failures) {
    await receiverError(exportSignal(tracesSignal, context(sink, budget), request));
    t.equal(budget.reserved, 0, what);
  }
});

t.test('exportSignal refuses a body that does not fit beside the others as overloaded', async (t) => {
  // Room for one request (its body and what decoding it builds), not two.
  const one = jsonBody.length + tracesSignal.scan(jsonBody, 'json', DEFAULT_DECODE_LIMITS).decodedBytes;
  const budget = new MemoryBudget(Math.ceil(one * 1.5));
  const sink = gatedSink();
  const first = exportSignal(tracesSignal, context(sink, budget), call(jsonBody));
  await sink.entered;
  const error = await receiverError(exportSignal(tracesSignal, context(new MemorySink(), budget), call(jsonBody)));
  t.equal(error.kind, 'overloaded');
  t.equal(error.retryAfterSeconds, 1);
  sink.open();
  await first;
  t.equal(budget.reserved, 0);
  await t.resolves(exportSignal(tracesSignal, context(new MemorySink(), budget), call(jsonBody)), 'passes once the first is done');
});

t.test('exportSignal refuses a request that could never fit the whole budget as too large, not overloaded', async (t) => {
  const budget = new MemoryBudget(jsonBody.length + 1);
  const sink = new MemorySink();
  const error = await receiverError(exportSignal(tracesSignal, context(sink, budget), call(jsonBody)));
  t.equal(error.kind, 'too_large', 'permanent: waiting would not help');
  t.match(error.message, /memory budget for requests in flight: send smaller batches/);
  t.equal(error.retryAfterSeconds, null);
  t.equal(budget.reserved, 0, 'what it held is given back');
  t.equal(sink.batches.length, 0);
});

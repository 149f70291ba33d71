// Covers the one export path shared by HTTP and gRPC (exportSignal): the body
// is read only after the key is accepted; decode rejections and sink
// rejections add up in one partial_success; nothing is written when every
// span is rejected; the answer comes only after the sink resolves; errors
// leave it classified; InFlight refuses exports once closed. Also the sink
// test doubles themselves.
import pino from 'pino';
import v8 from 'node:v8';
import t from 'tap';
import { ExportTraceServiceResponse } from '@justanalytics/proto';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { NopSink } from '../src/sink/nop-sink.ts';
import type { RowBatch, WriteResult } from '../src/sink/sink.ts';
import { ReceiverError } from '../src/receivers/errors.ts';
import { exportSignal } from '../src/receivers/export.ts';
import type { ExportCall, ExportContext } from '../src/receivers/export.ts';
import { InFlight } from '../src/receivers/in-flight.ts';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, READ_ONLY_KEY, SITE_ID } from './helpers/fixtures.ts';
import { receiverError } from './helpers/receiver-error.ts';

const log = pino({ level: 'silent' });

function call(overrides: Partial<ExportCall> & { body?: string }): ExportCall & { bodyReads: () => number } {
  let reads = 0;
  const body = overrides.body ?? JSON.stringify(jsonRequest([jsonSpan()]));
  return {
    authorization: `Bearer ${INGEST_KEY}`,
    clientAddress: '127.0.0.1',
    encoding: 'json',
    log,
    readBody: async () => {
      reads++;
      return Buffer.from(body);
    },
    ...overrides,
    bodyReads: () => reads,
  };
}

const contextWith = (sink: ExportContext['sink']): ExportContext => ({ sink, keys, inFlight: new InFlight(), memoryBudget: new MemoryBudget(1024 * 1024) });

t.test('the body is not read for a refused key', async (t) => {
  const sink = new MemorySink();
  for (const authorization of [undefined, 'Bearer ja_sk_nope', `Bearer ${READ_ONLY_KEY}`]) {
    const request = call({ authorization });
    const error = await receiverError(exportSignal(tracesSignal, contextWith(sink), request));
    t.ok(['unauthenticated', 'permission_denied'].includes(error.kind), error.kind);
    t.equal(request.bodyReads(), 0, String(authorization));
  }
  t.equal(sink.batches.length, 0);
});

t.test('a good export writes one batch of the key\'s site and answers {}', async (t) => {
  const sink = new MemorySink();
  const request = call({});
  const response = await exportSignal(tracesSignal, contextWith(sink), request);
  t.equal(response.toString(), '{}');
  t.equal(request.bodyReads(), 1);
  t.equal(sink.batches.length, 1);
  t.equal(sink.batches[0]?.siteId, SITE_ID);
});

t.test('nothing is written when every span is rejected', async (t) => {
  const sink = new MemorySink();
  const response = await exportSignal(tracesSignal, contextWith(sink), call({ body: JSON.stringify(jsonRequest([jsonSpan({ traceId: '' })])) }));
  t.same(JSON.parse(response.toString()), { partialSuccess: { rejectedSpans: '1', errorMessage: '1 span rejected: invalid trace_id (16 bytes, not all zero, required)' } });
  t.equal(sink.batches.length, 0);
});

t.test('decode and sink rejections add up, in protobuf too', async (t) => {
  const sink = new MemorySink({ result: () => ({ rejected: 1, message: '1 span outside retention' }) });
  const response = await exportSignal(
    tracesSignal,
    contextWith(sink),
    call({ encoding: 'protobuf', readBody: async () => protobufRequest(jsonRequest([jsonSpan(), jsonSpan({ spanId: '' })])) }),
  );
  t.same(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response), { longs: String }), {
    partialSuccess: { rejectedSpans: '2', errorMessage: '1 span rejected: invalid span_id (8 bytes, not all zero, required); 1 span outside retention' },
  });
});

t.test('a sink warning without rejections is passed on', async (t) => {
  const sink = new MemorySink({ result: () => ({ rejected: 0, message: 'attribute values truncated upstream' }) });
  const response = await exportSignal(tracesSignal, contextWith(sink), call({}));
  t.same(JSON.parse(response.toString()), { partialSuccess: { rejectedSpans: '0', errorMessage: 'attribute values truncated upstream' } });
});

t.test('the answer waits for the sink', async (t) => {
  const gate = Promise.withResolvers<WriteResult>();
  let answered = false;
  const exporting = exportSignal(tracesSignal, contextWith({ write: () => gate.promise }), call({})).then(() => (answered = true));
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  t.notOk(answered);
  gate.resolve({ rejected: 0, message: '' });
  await exporting;
  t.ok(answered);
});

t.test('failures leave as classified ReceiverErrors', async (t) => {
  t.equal((await receiverError(exportSignal(tracesSignal, contextWith(new MemorySink()), call({ body: '[' })))).kind, 'malformed');
  t.equal((await receiverError(exportSignal(tracesSignal, contextWith(new ErrorSink(new RangeError('bug'))), call({})))).kind, 'internal');
  const failingRead = call({ readBody: async () => Promise.reject(new ReceiverError('too_large', 'big')) });
  t.equal((await receiverError(exportSignal(tracesSignal, contextWith(new MemorySink()), failingRead))).kind, 'too_large');
});

t.test('InFlight: close waits for running exports and refuses new ones', async (t) => {
  const inFlight = new InFlight();
  const gate = Promise.withResolvers<void>();
  const running = inFlight.run(() => gate.promise);
  t.equal(inFlight.running, 1);
  let closed = false;
  const closing = inFlight.close().then(() => (closed = true));
  const refused = await receiverError(inFlight.run(async () => 'never'));
  t.equal(refused.kind, 'unavailable');
  t.ok(refused.retryAfterSeconds !== null, 'retryable elsewhere');
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(closed);
  gate.resolve();
  await running;
  await closing;
  t.equal(inFlight.running, 0);
  await t.resolves(new InFlight().close(), 'closing when idle resolves at once');
});

t.test('InFlight: a finished export leaves nothing behind, and the close deadline still cuts off the running ones', async (t) => {
  // Each export answers a Marker; once the exports have finished, nothing may keep one alive.
  class Marker {}
  const inFlight = new InFlight();
  const exports = async (): Promise<void> => {
    for (let i = 0; i < 200; i++) await inFlight.run(async () => new Marker());
  };
  await exports();
  t.equal(v8.queryObjects(Marker, { format: 'count' }), 0, 'queryObjects collects garbage first: no finished export is reachable');

  const stuck = inFlight.run(() => new Promise<never>(() => undefined));
  const closing = inFlight.close(10);
  t.equal((await receiverError(stuck)).kind, 'unavailable', 'the export still running at the deadline is answered as unavailable');
  await closing;
  t.equal(inFlight.running, 0);
});

t.test('sink test doubles', async (t) => {
  const batch: RowBatch = { signal: 'traces', siteId: SITE_ID, rows: [] };
  t.same(await new NopSink().write(batch), { rejected: 0, message: '' });
  const memory = new MemorySink();
  await memory.write(batch);
  await memory.write(batch);
  t.equal(memory.batches.length, 2);
  const error = new Error('nope');
  const failing = new ErrorSink(error);
  await t.rejects(failing.write(batch), error);
  t.equal(failing.writes, 1);
});

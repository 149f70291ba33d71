// Covers the signal registry and the shared model: otlpSignals is what the
// receivers serve by default; each descriptor's own authenticate decides who
// may export, on the export path and in gRPC admission alike; createCollector
// refuses an empty signal list; parseBearer and the hex ID helpers that the
// receivers and the query API share.
import { status as GrpcCode } from '@grpc/grpc-js';
import t from 'tap';
import { knownScopes, parseBearer, bytesToHex, traceIdFromHex } from '../src/model/index.ts';
import type { ResolvedKey } from '../src/model/index.ts';
import { authenticateIngest } from '../src/receivers/authenticate.ts';
import type { Authenticate } from '../src/receivers/authenticate.ts';
import { createCollector } from '../src/receivers/collector.ts';
import { ReceiverError } from '../src/receivers/errors.ts';
import { exportSignal } from '../src/receivers/export.ts';
import { InFlight } from '../src/receivers/in-flight.ts';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import type { SignalDescriptor } from '../src/receivers/signal.ts';
import { otlpSignals } from '../src/signals/index.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';
import { receiverError } from './helpers/receiver-error.ts';

const OTHER_SITE = 'site-by-descriptor';

/** Traces, but authenticated by `authenticate` instead of an ingest key. */
function tracesAuthenticatedBy(authenticate: Authenticate): SignalDescriptor<'traces'> {
  return { ...tracesSignal, authenticate };
}

const admitAll: Authenticate = async () => ({ keyId: 'k', siteId: OTHER_SITE, scopes: ['ingest'] }) satisfies ResolvedKey;
const refuseAll: Authenticate = async () => {
  throw new ReceiverError('permission_denied', 'refused by the descriptor');
};

t.test('every OTLP signal is registered once and authenticates with an ingest key', async (t) => {
  t.same(
    otlpSignals.map((signal) => signal.signal),
    ['traces', 'logs', 'metrics'],
  );
  for (const signal of otlpSignals) t.equal(signal.authenticate, authenticateIngest, signal.signal);
});

t.test('the export path authenticates as the descriptor says', async (t) => {
  const sink = new MemorySink();
  const context = { sink, keys, inFlight: new InFlight(), memoryBudget: new MemoryBudget(1024 * 1024) };
  const call = {
    authorization: undefined,
    clientAddress: '127.0.0.1',
    encoding: 'json' as const,
    log: silentLogger,
    readBody: async () => Buffer.from(JSON.stringify(jsonRequest([jsonSpan()]))),
  };
  await exportSignal(tracesAuthenticatedBy(admitAll), context, call);
  t.equal(sink.batches[0]?.siteId, OTHER_SITE, 'written for the site the descriptor resolved');
  const error = await receiverError(exportSignal(tracesAuthenticatedBy(refuseAll), context, { ...call, authorization: `Bearer ${INGEST_KEY}` }));
  t.equal(error.kind, 'permission_denied', 'a good ingest key does not pass a descriptor that refuses');
});

t.test('gRPC admission authenticates as the descriptor says', async (t) => {
  for (const [authenticate, expected] of [
    [admitAll, null],
    [refuseAll, GrpcCode.PERMISSION_DENIED],
  ] as const) {
    const sink = new MemorySink();
    const server = createOtlpGrpcServer({ sink, keys, logger: silentLogger, signals: [tracesAuthenticatedBy(authenticate)] });
    const port = await server.listen('127.0.0.1', 0);
    const client = traceExportClient(port);
    const { error } = await client.export(protobufRequest(jsonRequest([jsonSpan()])), null);
    client.close();
    await server.close();
    t.equal(error?.code ?? null, expected);
    t.equal(sink.batches.length, expected === null ? 1 : 0);
  }
});

t.test('createCollector refuses an empty signal list', async (t) => {
  t.throws(() => createCollector({ sink: new MemorySink(), keys, logger: silentLogger, signals: [] }), TypeError);
});

t.test('parseBearer takes the token of a Bearer header and nothing else', async (t) => {
  t.equal(parseBearer('Bearer ja_sk_x'), 'ja_sk_x');
  t.equal(parseBearer('bearer \tja_sk_x '), 'ja_sk_x');
  for (const header of [undefined, '', 'Bearer', 'Bearer a b', 'Basic ja_sk_x', 'ja_sk_x']) t.equal(parseBearer(header), undefined, String(header));
});

t.test('hex IDs and scopes of the shared model', async (t) => {
  const hex = '5b8efff798038103d269b633813fc60c';
  const id = traceIdFromHex(hex.toUpperCase());
  t.equal(id === null ? null : bytesToHex(id), hex);
  t.equal(traceIdFromHex(hex.slice(2)), null, 'too short');
  t.equal(traceIdFromHex(`${hex.slice(1)}g`), null, 'not hex');
  t.equal(bytesToHex(new Uint8Array([0xab, 0x01]).subarray(1)), '01', 'a view is read where it starts');
  t.same(knownScopes, ['ingest', 'read', 'admin']);
});

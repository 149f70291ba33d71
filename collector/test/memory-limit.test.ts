// Covers the memory budget through the receivers: with a small budget, the
// requests that fit are served while the ones beyond it are refused as
// retryable (HTTP 429 with Retry-After, gRPC RESOURCE_EXHAUSTED with
// RetryInfo); once they finish the budget is back to zero and new requests
// pass; a request that could never fit the whole budget is refused as too
// large (permanent) instead; refused and failed requests (400, 413, 429) give back what
// they reserved; one budget is shared by both receivers of a collector; the
// options are validated.
import { status as GrpcCode } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import zlib from 'node:zlib';
import { RpcStatus } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { DEFAULT_DECODE_LIMITS } from '../src/decode/decode-limits.ts';
import { createCollector } from '../src/receivers/collector.ts';
import { MemoryBudget } from '../src/receivers/memory-budget.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import type { Sink } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';
import { buildHttpApp } from './helpers/http-app.ts';
import { GatedSink, PeakBudget } from './helpers/test-doubles.ts';

const jsonBody = JSON.stringify(jsonRequest([jsonSpan()]));
const protobufBody = protobufRequest(jsonRequest([jsonSpan()]));
const headers = { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' };
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';



/** What one request holds of the budget while its write waits, measured rather than assumed. */
async function heldByOne(send: (budget: MemoryBudget, sink: Sink) => Promise<() => Promise<unknown>>): Promise<number> {
  const budget = new MemoryBudget(1024 * 1024 * 1024);
  const sink = new GatedSink();
  const finish = await send(budget, sink);
  await sink.waitFor(1);
  const held = budget.reserved;
  sink.open();
  await finish();
  return held;
}

async function httpApp(t: Test, sink: Sink, memoryBudget: MemoryBudget, maxRequestBytes?: number) {
  const { app } = await buildHttpApp({ sink, memoryBudget, ...(maxRequestBytes === undefined ? {} : { maxRequestBytes }) });
  t.teardown(() => app.close());
  return (payload: string | Buffer = jsonBody, extraHeaders: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/traces', headers: { ...headers, ...extraHeaders }, payload });
}

async function grpcServer(t: Test, sink: Sink, memoryBudget: MemoryBudget) {
  const server = createOtlpGrpcServer({ sink, keys, logger: silentLogger, memoryBudget });
  const client = traceExportClient(await server.listen('127.0.0.1', 0));
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  return client.export;
}

function retryInfoOf(error: ServiceError | null): string[] {
  const [bytes] = error?.metadata.get('grpc-status-details-bin') ?? [];
  if (bytes === undefined) return [];
  return (RpcStatus.decode(bytes as Buffer) as unknown as { details: { typeUrl: string }[] }).details.map((detail) => detail.typeUrl);
}

t.test('HTTP: requests beyond the budget get 429 with Retry-After, the others succeed', async (t) => {
  const perRequest = await heldByOne(async (budget, sink) => {
    const pending = (await httpApp(t, sink, budget))();
    return () => pending;
  });
  t.ok(perRequest > jsonBody.length, `one request holds its body and more (${perRequest} bytes)`);

  // Room left for half a body (refused while it is read), or for the body
  // but not its rows (refused once it is complete).
  for (const room of [Math.floor(jsonBody.length / 2), Math.floor(perRequest / 2)]) {
    t.test(`with room for ${room} more bytes`, async (t) => {
      const budget = new MemoryBudget(2 * perRequest + room);
      const sink = new GatedSink();
      const post = await httpApp(t, sink, budget);
      const admitted = [post(), post()];
      await sink.waitFor(2);
      t.equal(budget.reserved, 2 * perRequest);

      const refused = await post();
      t.equal(refused.statusCode, 429);
      t.equal(refused.headers['retry-after'], '1');
      t.same(JSON.parse(refused.body).details, [{ '@type': RETRY_INFO, retryDelay: '1s' }]);
      t.equal(budget.reserved, 2 * perRequest, 'the refused request gave back what it had reserved');

      sink.open();
      t.same(
        (await Promise.all(admitted)).map((response) => response.statusCode),
        [200, 200],
      );
      t.equal(budget.reserved, 0, 'all given back');
      t.equal((await post()).statusCode, 200, 'and a new request passes');
      t.equal(budget.reserved, 0);
    });
  }
});

t.test('gRPC: requests beyond the budget get RESOURCE_EXHAUSTED with RetryInfo, the others succeed', async (t) => {
  const perRequest = await heldByOne(async (budget, sink) => {
    const pending = (await grpcServer(t, sink, budget))(protobufBody);
    return () => pending;
  });
  t.ok(perRequest > protobufBody.length, `one message holds its size and more (${perRequest} bytes)`);

  const budget = new MemoryBudget(Math.floor(perRequest * 2.5));
  const sink = new GatedSink();
  const call = await grpcServer(t, sink, budget);
  const admitted = [call(protobufBody), call(protobufBody)];
  await sink.waitFor(2);

  const { error } = await call(protobufBody);
  t.equal(error?.code, GrpcCode.RESOURCE_EXHAUSTED);
  t.same(retryInfoOf(error), [RETRY_INFO], 'retryable: RetryInfo is attached');
  t.equal(budget.reserved, 2 * perRequest);

  sink.open();
  t.same(
    (await Promise.all(admitted)).map((result) => result.error),
    [null, null],
  );
  t.equal(budget.reserved, 0);
  t.equal((await call(protobufBody)).error, null, 'a new request passes');
  t.equal(budget.reserved, 0);
});

t.test('a request that could never fit the whole budget is refused as too large, on both transports', async (t) => {
  const budget = new MemoryBudget(1);
  const sink = new MemorySink();
  const post = await httpApp(t, sink, budget);
  const call = await grpcServer(t, sink, budget);

  const http = await post();
  t.equal(http.statusCode, 413, 'HTTP 413: permanent, unlike a budget spent by others');
  t.equal(http.headers['retry-after'], undefined, 'no Retry-After');
  const { error } = await call(protobufBody);
  t.equal(error?.code, GrpcCode.RESOURCE_EXHAUSTED, 'gRPC RESOURCE_EXHAUSTED …');
  t.same(retryInfoOf(error), [], '… without RetryInfo, so it is not retried');
  t.equal(budget.reserved, 0);
  t.equal(sink.batches.length, 0);
});

t.test('refused and failed requests give back what they reserved', async (t) => {
  const budget = new PeakBudget(1024 * 1024);
  const post = await httpApp(t, new MemorySink(), budget, 100_000);

  t.equal((await post('{"resourceSpans": [')).statusCode, 400, 'malformed');
  t.ok(budget.peak > 0, 'its body had been reserved');
  t.equal(budget.reserved, 0);

  budget.peak = 0;
  const bomb = zlib.gzipSync(Buffer.alloc(1024 * 1024, ' '));
  t.equal((await post(bomb, { 'content-encoding': 'gzip' })).statusCode, 413, 'too large once inflated');
  t.ok(budget.peak > 0 && budget.peak <= 100_000, `what it inflated before the cap had been reserved (${budget.peak} bytes)`);
  t.equal(budget.reserved, 0);

  t.equal((await post(jsonBody, { authorization: 'Bearer ja_sk_nope' })).statusCode, 401, 'unauthenticated');
  t.equal(budget.reserved, 0);

  const call = await grpcServer(t, new MemorySink(), budget);
  budget.peak = 0;
  t.equal((await call(Buffer.from([0x0a, 0xff]))).error?.code, GrpcCode.INVALID_ARGUMENT, 'gRPC: malformed');
  t.ok(budget.peak > 0);
  t.equal(budget.reserved, 0);
});

t.test('a collector shares one budget between its receivers', async (t) => {
  // Room for the HTTP request (its body and what decoding it builds) but not for the gRPC one beside it.
  const overJson = Buffer.byteLength(jsonBody) + tracesSignal.scan(Buffer.from(jsonBody), 'json', DEFAULT_DECODE_LIMITS).decodedBytes;
  const overProtobuf = protobufBody.length + tracesSignal.scan(protobufBody, 'protobuf', DEFAULT_DECODE_LIMITS).decodedBytes;
  const maxInFlightBytes = Math.max(overJson, overProtobuf) + Math.floor(Math.min(overJson, overProtobuf) / 2);
  t.ok(maxInFlightBytes - overJson < overProtobuf, 'the budget cannot hold both');
  const sink = new GatedSink();
  const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0, maxInFlightBytes });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  const client = traceExportClient(grpcPort);
  t.teardown(() => client.close());

  const overHttp = fetch(`http://127.0.0.1:${httpPort}/v1/traces`, { method: 'POST', headers, body: jsonBody });
  await sink.waitFor(1);
  const { error } = await client.export(protobufBody);
  t.equal(error?.code, GrpcCode.RESOURCE_EXHAUSTED, 'gRPC is refused while HTTP holds the budget');
  sink.open();
  t.equal((await overHttp).status, 200);
  t.equal((await client.export(protobufBody)).error, null, 'and passes once HTTP is done');
});

t.test('options are validated', async (t) => {
  const sink = new MemorySink();
  const base = { sink, keys, logger: silentLogger };
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => createCollector({ ...base, maxInFlightBytes: bad }), TypeError, `collector: ${bad}`);
    t.throws(() => createOtlpGrpcServer({ ...base, maxInFlightBytes: bad }), TypeError, `gRPC: ${bad}`);
    await t.rejects(createOtlpHttpServer({ ...base, maxInFlightBytes: bad }), TypeError, `HTTP: ${bad}`);
  }
  const memoryBudget = new MemoryBudget(100);
  t.throws(() => createOtlpGrpcServer({ ...base, memoryBudget, maxInFlightBytes: 100 }), TypeError, 'not both');
  await t.rejects(createOtlpHttpServer({ ...base, memoryBudget, maxInFlightBytes: 100 }), TypeError, 'not both');
  await t.rejects(createOtlpHttpServer({ ...base, memoryBudget: { tryReserve: () => true } as unknown as MemoryBudget }), TypeError, 'not a MemoryBudget');
});

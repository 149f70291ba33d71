// Covers OTLP/gRPC TraceService/Export through a real grpc-js client: the
// same decoder as HTTP (raw Buffers), gzip-compressed messages, partial
// success, and the same status mapping as HTTP (UNAUTHENTICATED,
// PERMISSION_DENIED, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE) with a
// google.rpc.Status carrying RetryInfo when the client may retry, whether the
// call is refused at its headers (a key store down, too many failed
// authentications from one client) or by the export. grpc-abuse.test.ts
// covers what the admission of calls defends against.
import { status as GrpcCode } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { ExportTraceServiceResponse, RpcStatus } from '@justanalytics/proto';
import t from 'tap';
import type { Test } from 'tap';
import { FailedAuthLimiter } from '../src/auth/failed-auth-limiter.ts';
import type { KeyResolver } from '../src/auth/key-resolver.ts';
import { StaticKeyResolver } from '../src/auth/static-key-resolver.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import type { OtlpGrpcOptions } from '../src/receivers/otlp-grpc.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, READ_ONLY_KEY, SITE_ID, silentLogger } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';

async function serve(t: Test, options: Partial<OtlpGrpcOptions> = {}, gzip = false) {
  const sink = options.sink instanceof MemorySink ? options.sink : new MemorySink();
  const server = createOtlpGrpcServer({ keys, logger: silentLogger, ...options, sink: options.sink ?? sink });
  const port = await server.listen('127.0.0.1', 0);
  const client = traceExportClient(port, { gzip });
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  return { sink, call: client.export };
}

const body = protobufRequest(jsonRequest([jsonSpan({ name: 'one' }), jsonSpan({ name: 'two', spanId: '3333333333333333' })]));

function statusDetails(error: ServiceError): { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] } {
  const [bytes] = error.metadata.get('grpc-status-details-bin');
  return RpcStatus.decode(bytes as Buffer) as unknown as { code: number; message: string; details: { typeUrl: string; value: Uint8Array }[] };
}

t.test('an export is written and acknowledged with an empty response', async (t) => {
  const { sink, call } = await serve(t);
  const { error, response } = await call(body);
  t.equal(error, null);
  t.equal(response?.length, 0);
  t.equal(sink.batches[0]?.siteId, SITE_ID);
  t.same(
    sink.rows().map((row) => row.name),
    ['one', 'two'],
  );
});

t.test('gzip-compressed messages', async (t) => {
  const { sink, call } = await serve(t, {}, true);
  const { error } = await call(body);
  t.equal(error, null);
  t.equal(sink.rows().length, 2);
});

t.test('partial success', async (t) => {
  const { sink, call } = await serve(t);
  const { error, response } = await call(protobufRequest(jsonRequest([jsonSpan(), jsonSpan({ traceId: '00'.repeat(16) })])));
  t.equal(error, null);
  t.same(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(response as Buffer), { longs: String }), {
    partialSuccess: { rejectedSpans: '1', errorMessage: '1 span rejected: invalid trace_id (16 bytes, not all zero, required)' },
  });
  t.equal(sink.batches.length, 1);
});

t.test('authentication', async (t) => {
  const { sink, call } = await serve(t);
  const cases: [string, string | null, GrpcCode, RegExp][] = [
    ['no metadata', null, GrpcCode.UNAUTHENTICATED, /missing API key/],
    ['an unknown key', 'ja_sk_unknown', GrpcCode.UNAUTHENTICATED, /unknown API key/],
    ['a key without ingest scope', READ_ONLY_KEY, GrpcCode.PERMISSION_DENIED, /no ingest scope/],
  ];
  for (const [what, key, code, message] of cases) {
    const { error } = await call(body, key);
    t.equal(error?.code, code, what);
    t.match(error?.details, message, what);
    t.same(statusDetails(error as ServiceError).details, [], `${what}: not retryable`);
  }
  t.equal(sink.batches.length, 0);
});

t.test('malformed messages', async (t) => {
  const { call } = await serve(t);
  const { error } = await call(Buffer.from('this is not protobuf'));
  t.equal(error?.code, GrpcCode.INVALID_ARGUMENT);
  t.match(error?.details, /not a valid protobuf/);
  const status = statusDetails(error as ServiceError);
  t.equal(status.code, GrpcCode.INVALID_ARGUMENT);
  t.equal(status.message, error?.details);
});

t.test('messages over the limit, plain or once inflated', async (t) => {
  const big = protobufRequest(jsonRequest([jsonSpan({ attributes: [{ key: 'filler', value: { stringValue: 'x'.repeat(100_000) } }] })]));
  for (const gzip of [false, true]) {
    const { call } = await serve(t, { maxRequestBytes: 10_000 }, gzip);
    const { error } = await call(big);
    t.equal(error?.code, GrpcCode.RESOURCE_EXHAUSTED, gzip ? 'gzip' : 'plain');
    // Which check refused it: the compressed message is small. A gzip message
    // is refused before it is inflated, for the size its trailer declares.
    if (gzip) t.match(error?.details, /decompresses to a size larger than 10000/);
    const details = error?.metadata.get('grpc-status-details-bin') ?? [];
    t.same(details.length === 0 ? [] : statusDetails(error as ServiceError).details, [], 'no RetryInfo: not retryable');
  }
});

t.test('storage behind or down: retryable codes with RetryInfo', async (t) => {
  const cases: [string, Error, GrpcCode, number][] = [
    ['overloaded', new SinkOverloadedError('queue full', 5), GrpcCode.RESOURCE_EXHAUSTED, 5],
    ['unavailable', new SinkUnavailableError('down', 9), GrpcCode.UNAVAILABLE, 9],
    ['internal', new Error('bug'), GrpcCode.INTERNAL, 0],
  ];
  for (const [what, sinkError, code, seconds] of cases) {
    const { call } = await serve(t, { sink: new ErrorSink(sinkError) });
    const { error } = await call(body);
    t.equal(error?.code, code, what);
    const status = statusDetails(error as ServiceError);
    t.equal(status.code, code, what);
    if (seconds === 0) {
      t.same(status.details, [], `${what}: no RetryInfo`);
      t.equal(error?.details, 'internal error', `${what}: details stay on the server`);
    } else {
      t.equal(status.details[0]?.typeUrl, 'type.googleapis.com/google.rpc.RetryInfo', what);
      t.same([...(status.details[0]?.value ?? [])], [0x0a, 0x02, 0x08, seconds], `${what}: retry after ${seconds}s`);
    }
  }
});

t.test('refused at the headers with a retryable status: key store down, too many failed authentications', async (t) => {
  const down: KeyResolver = {
    resolve: () => Promise.reject(new Error('connection refused')),
  };
  const { call: callDown } = await serve(t, { keys: down });
  const { error: unavailable } = await callDown(body);
  t.equal(unavailable?.code, GrpcCode.UNAVAILABLE, 'key store down: UNAVAILABLE');
  t.equal(statusDetails(unavailable as ServiceError).details[0]?.typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');

  const limited = new StaticKeyResolver([[INGEST_KEY, { keyId: 'k', siteId: SITE_ID, scopes: ['ingest'] }]], {
    failedAuthentications: new FailedAuthLimiter({ burst: 1, failuresPerSecond: 0.001 }),
  });
  const { sink, call } = await serve(t, { keys: limited });
  t.equal((await call(body, 'ja_sk_wrong')).error?.code, GrpcCode.UNAUTHENTICATED, 'a first failure');
  const { error: tooMany } = await call(body, 'ja_sk_wrong_again');
  t.equal(tooMany?.code, GrpcCode.RESOURCE_EXHAUSTED, 'then RESOURCE_EXHAUSTED');
  t.equal(statusDetails(tooMany as ServiceError).details[0]?.typeUrl, 'type.googleapis.com/google.rpc.RetryInfo', 'with RetryInfo');
  t.equal((await call(body)).error, null, 'a good key from the same client still passes');
  t.equal(sink.batches.length, 1);
});

// Covers every OTLP/HTTP failure and its documented answer: status code,
// google.rpc.Status body in the request's encoding (JSON when the type is
// unknown), Retry-After on 429/503, Allow on 405; and that the receiver
// keeps serving after each.
import zlib from 'node:zlib';
import { status as GrpcCode } from '@grpc/grpc-js';
import { RpcStatus } from '@justanalytics/proto';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import type { Test } from 'tap';
import type { KeyResolver } from '../src/auth/key-resolver.ts';
import { ErrorSink } from '../src/sink/error-sink.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../src/sink/sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, protobufRequest, READ_ONLY_KEY } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';
const auth = { authorization: `Bearer ${INGEST_KEY}` };
const goodJson = JSON.stringify(jsonRequest([jsonSpan()]));
const goodProtobuf = protobufRequest(jsonRequest([jsonSpan()]));

interface Status {
  code: number;
  message: string;
}

async function post(app: FastifyInstance, headers: Record<string, string>, payload: string | Buffer) {
  const response = await app.inject({ method: 'POST', url: '/v1/traces', headers, payload });
  const contentType = response.headers['content-type'];
  const status: Status =
    contentType === PROTOBUF ? (RpcStatus.toObject(RpcStatus.decode(response.rawPayload)) as Status) : (JSON.parse(response.body) as Status);
  return { response, status };
}

async function stillServes(t: Test, app: FastifyInstance): Promise<void> {
  const { response } = await post(app, { ...auth, 'content-type': JSON_TYPE }, goodJson);
  t.equal(response.statusCode, 200, 'and the receiver keeps serving');
}

t.test('400: bodies that cannot be decoded', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const cases: [string, string, string | Buffer, Record<string, string>, RegExp][] = [
    ['garbage protobuf', PROTOBUF, Buffer.from('not protobuf, not at all'), {}, /not a valid protobuf/],
    ['truncated protobuf', PROTOBUF, goodProtobuf.subarray(0, goodProtobuf.length - 5), {}, /not a valid protobuf/],
    ['invalid JSON', JSON_TYPE, '{"resourceSpans": [}', {}, /not valid JSON/],
    ['JSON that is not an object', JSON_TYPE, '"just a string"', {}, /must be a JSON object/],
    ['an unknown Content-Encoding', JSON_TYPE, goodJson, { 'content-encoding': 'br' }, /unsupported Content-Encoding/],
    ['gzip that is not gzip', PROTOBUF, goodProtobuf, { 'content-encoding': 'gzip' }, /not valid gzip/],
  ];
  for (const [what, contentType, payload, headers, message] of cases) {
    const { response, status } = await post(app, { ...auth, 'content-type': contentType, ...headers }, payload);
    t.equal(response.statusCode, 400, what);
    t.equal(response.headers['content-type'], contentType, `${what}: answered in the request's encoding`);
    t.equal(status.code, GrpcCode.INVALID_ARGUMENT, what);
    t.match(status.message, message, what);
    t.notOk(response.headers['retry-after'], what);
  }
  t.equal(sink.batches.length, 0);
  await stillServes(t, app);
});

t.test('415: other content types, answered in JSON', async (t) => {
  const { app } = await buildHttpApp();
  t.teardown(() => app.close());
  for (const contentType of ['text/plain', 'application/xml', 'application/protobuf', 'multipart/form-data; boundary=x']) {
    const { response, status } = await post(app, { ...auth, 'content-type': contentType }, 'body');
    t.equal(response.statusCode, 415, contentType);
    t.equal(response.headers['content-type'], JSON_TYPE, contentType);
    t.match(status.message, /application\/x-protobuf or application\/json/, contentType);
  }
  const missing = await app.inject({ method: 'POST', url: '/v1/traces', headers: auth, payload: Buffer.from('x') });
  t.equal(missing.statusCode, 415, 'no Content-Type');
  const empty = await app.inject({ method: 'POST', url: '/v1/traces', headers: auth });
  t.equal(empty.statusCode, 415, 'no Content-Type and no body');
  await stillServes(t, app);
});

t.test('405: methods other than POST, with Allow', async (t) => {
  const { app } = await buildHttpApp();
  t.teardown(() => app.close());
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const) {
    const response = await app.inject({ method, url: '/v1/traces', headers: { ...auth, 'content-type': JSON_TYPE }, payload: method === 'GET' || method === 'HEAD' ? undefined : goodJson });
    t.equal(response.statusCode, 405, method);
    t.equal(response.headers.allow, 'POST', method);
    if (method !== 'HEAD') t.match(response.json(), { code: GrpcCode.UNIMPLEMENTED, message: /use POST/ }, method);
  }
  const unknownPath = await app.inject({ method: 'POST', url: '/v1/nothing', headers: { ...auth, 'content-type': JSON_TYPE }, payload: goodJson });
  t.equal(unknownPath.statusCode, 404);
});

t.test('401 and 403: missing, unknown and under-scoped keys', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const cases: [string, Record<string, string>, number, GrpcCode, RegExp][] = [
    ['no Authorization', {}, 401, GrpcCode.UNAUTHENTICATED, /missing API key/],
    ['an unknown key', { authorization: 'Bearer ja_sk_not_a_real_key' }, 401, GrpcCode.UNAUTHENTICATED, /unknown API key/],
    ['not a ja_sk_ key', { authorization: 'Bearer something-else' }, 401, GrpcCode.UNAUTHENTICATED, /unknown API key/],
    ['not a Bearer header', { authorization: `Basic ${INGEST_KEY}` }, 401, GrpcCode.UNAUTHENTICATED, /malformed Authorization/],
    ['a key without ingest scope', { authorization: `Bearer ${READ_ONLY_KEY}` }, 403, GrpcCode.PERMISSION_DENIED, /no ingest scope/],
  ];
  for (const [what, headers, statusCode, code, message] of cases) {
    for (const [contentType, payload] of [
      [JSON_TYPE, goodJson],
      [PROTOBUF, goodProtobuf],
    ] as const) {
      const { response, status } = await post(app, { ...headers, 'content-type': contentType }, payload);
      t.equal(response.statusCode, statusCode, `${what} (${contentType})`);
      t.equal(status.code, code, `${what} (${contentType})`);
      t.match(status.message, message, `${what} (${contentType})`);
    }
  }
  const lowercase = await post(app, { authorization: `bearer ${INGEST_KEY}`, 'content-type': JSON_TYPE }, goodJson);
  t.equal(lowercase.response.statusCode, 200, 'the scheme is case-insensitive');
  t.equal(sink.batches.length, 1);
});

t.test('413: bodies over the limit, as sent or once inflated', async (t) => {
  const { app, sink } = await buildHttpApp({ maxRequestBytes: 4096 });
  t.teardown(() => app.close());
  const big = JSON.stringify(jsonRequest([jsonSpan({ attributes: [{ key: 'filler', value: { stringValue: 'x'.repeat(10_000) } }] })]));
  const cases: [string, Record<string, string>, Buffer][] = [
    ['identity', {}, Buffer.from(big)],
    ['gzip, small on the wire', { 'content-encoding': 'gzip' }, zlib.gzipSync(big)],
    ['zstd, small on the wire', { 'content-encoding': 'zstd' }, zlib.zstdCompressSync(big)],
  ];
  for (const [what, headers, payload] of cases) {
    const { response, status } = await post(app, { ...auth, 'content-type': JSON_TYPE, ...headers }, payload);
    t.equal(response.statusCode, 413, what);
    t.equal(status.code, GrpcCode.RESOURCE_EXHAUSTED, what);
    t.match(status.message, /exceeds the limit of 4096 bytes/, what);
    t.notOk(response.headers['retry-after'], `${what}: not retryable`);
  }
  t.equal(sink.batches.length, 0);
  await stillServes(t, app);
});

t.test('429 and 503 with Retry-After when storage is behind or down', async (t) => {
  const cases: [string, Error, number, GrpcCode, string][] = [
    ['overloaded', new SinkOverloadedError('queue full', 7), 429, GrpcCode.RESOURCE_EXHAUSTED, '7'],
    ['unavailable', new SinkUnavailableError('connection refused', 30), 503, GrpcCode.UNAVAILABLE, '30'],
  ];
  for (const [what, error, statusCode, code, retryAfter] of cases) {
    const sink = new ErrorSink(error);
    const { app } = await buildHttpApp({ sink });
    t.teardown(() => app.close());
    for (const [contentType, payload] of [
      [JSON_TYPE, goodJson],
      [PROTOBUF, goodProtobuf],
    ] as const) {
      const { response, status } = await post(app, { ...auth, 'content-type': contentType }, payload);
      t.equal(response.statusCode, statusCode, `${what} ${contentType}`);
      t.equal(response.headers['retry-after'], retryAfter, `${what} ${contentType}`);
      t.equal(status.code, code, `${what} ${contentType}`);
    }
    t.equal(sink.writes, 2);
    const { status } = await post(app, { ...auth, 'content-type': JSON_TYPE }, goodJson);
    t.same((status as unknown as { details: unknown }).details, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfter}s` }], `${what}: RetryInfo`);
  }
});

t.test('503 when API keys cannot be checked', async (t) => {
  const failingKeys: KeyResolver = {
    resolve: async () => {
      throw new Error('key table unreachable');
    },
  };
  const { app } = await buildHttpApp({ keys: failingKeys });
  t.teardown(() => app.close());
  const { response, status } = await post(app, { ...auth, 'content-type': JSON_TYPE }, goodJson);
  t.equal(response.statusCode, 503);
  t.ok(response.headers['retry-after']);
  t.equal(status.code, GrpcCode.UNAVAILABLE);
});

t.test('500 for other sink failures, without their details', async (t) => {
  const { app } = await buildHttpApp({ sink: new ErrorSink(new Error('duplicate key value violates unique constraint "secret_index"')) });
  t.teardown(() => app.close());
  const { response, status } = await post(app, { ...auth, 'content-type': PROTOBUF }, goodProtobuf);
  t.equal(response.statusCode, 500);
  t.same(status, { code: GrpcCode.INTERNAL, message: 'internal error' });
  t.notOk(response.headers['retry-after']);
});

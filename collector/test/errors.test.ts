// Covers the one error mapping: how failures are classified, and the HTTP
// status, gRPC code, Retry-After and google.rpc.Status body (protobuf and
// JSON, with RetryInfo when retryable) of each kind.
import { status as GrpcCode } from '@grpc/grpc-js';
import { RpcStatus } from '@justanalytics/proto';
import t from 'tap';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { classifyError, encodeRpcStatus, grpcCodeOf, httpStatusOf, ReceiverError, retryAfterHeaderOf } from '../src/receivers/errors.ts';
import type { ErrorKind } from '../src/receivers/errors.ts';
import { SinkOverloadedError, SinkUnavailableError } from '../src/sink/sink.ts';

const table: [ErrorKind, number, GrpcCode, boolean][] = [
  ['malformed', 400, GrpcCode.INVALID_ARGUMENT, false],
  ['unauthenticated', 401, GrpcCode.UNAUTHENTICATED, false],
  ['permission_denied', 403, GrpcCode.PERMISSION_DENIED, false],
  ['too_large', 413, GrpcCode.RESOURCE_EXHAUSTED, false],
  ['unsupported_media_type', 415, GrpcCode.UNIMPLEMENTED, false],
  ['method_not_allowed', 405, GrpcCode.UNIMPLEMENTED, false],
  ['overloaded', 429, GrpcCode.RESOURCE_EXHAUSTED, true],
  ['unavailable', 503, GrpcCode.UNAVAILABLE, true],
  ['internal', 500, GrpcCode.INTERNAL, false],
];

t.test('each kind maps to one HTTP status and one gRPC code', async (t) => {
  for (const [kind, httpStatus, grpcCode, retryable] of table) {
    const error = new ReceiverError(kind, `a ${kind} error`, { retryAfterSeconds: 7 });
    t.equal(httpStatusOf(error), httpStatus, kind);
    t.equal(grpcCodeOf(error), grpcCode, kind);
    t.equal(retryAfterHeaderOf(error), retryable ? '7' : null, kind);
  }
});

t.test('classification', async (t) => {
  const overloaded = classifyError(new SinkOverloadedError('queue full', 3));
  t.equal(overloaded.kind, 'overloaded');
  t.equal(overloaded.retryAfterSeconds, 3);
  const unavailable = classifyError(new SinkUnavailableError('db down: password=hunter2', 2.2));
  t.equal(unavailable.kind, 'unavailable');
  t.equal(unavailable.retryAfterSeconds, 3, 'rounded up to whole seconds');
  t.notMatch(unavailable.message, /hunter2/, 'storage details stay out of the response');
  t.equal(classifyError(new MalformedRequestError('bad body')).kind, 'malformed');
  t.equal(classifyError(new MalformedRequestError('bad body')).message, 'bad body');
  const internal = classifyError(new TypeError('x is undefined at secret.ts:12'));
  t.equal(internal.kind, 'internal');
  t.equal(internal.message, 'internal error');
  t.type(internal.cause, TypeError, 'the original error is kept for logging');
  t.equal(classifyError('a string').kind, 'internal');
  const same = new ReceiverError('too_large', 'big');
  t.equal(classifyError(same), same, 'classified once');
  const fastify415 = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 });
  t.equal(classifyError(fastify415).kind, 'unsupported_media_type');
  const fastify400 = Object.assign(new Error('Content-Length mismatch'), { statusCode: 400 });
  t.equal(classifyError(fastify400).kind, 'malformed');
  t.equal(classifyError(Object.assign(new Error('boom'), { statusCode: 500 })).kind, 'internal');
  t.equal(new ReceiverError('overloaded', 'x').retryAfterSeconds, 1, 'a retry hint is always given');
  t.equal(new ReceiverError('malformed', 'x', { retryAfterSeconds: 5 }).retryAfterSeconds, null, 'never for permanent errors');
});

t.test('google.rpc.Status bodies, protobuf', async (t) => {
  const permanent = RpcStatus.toObject(RpcStatus.decode(encodeRpcStatus(new ReceiverError('unauthenticated', 'unknown API key'), 'protobuf')));
  t.same(permanent, { code: GrpcCode.UNAUTHENTICATED, message: 'unknown API key' });
  const retryable = RpcStatus.decode(encodeRpcStatus(new ReceiverError('overloaded', 'slow down', { retryAfterSeconds: 300 }), 'protobuf')) as unknown as {
    code: number;
    message: string;
    details: { typeUrl: string; value: Uint8Array }[];
  };
  t.equal(retryable.code, GrpcCode.RESOURCE_EXHAUSTED);
  t.equal(retryable.message, 'slow down');
  t.equal(retryable.details.length, 1);
  t.equal(retryable.details[0]?.typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
  // RetryInfo { retry_delay (1): Duration { seconds (1): 300 } }; 300 = varint ac 02.
  t.same([...(retryable.details[0]?.value ?? [])], [0x0a, 0x03, 0x08, 0xac, 0x02]);
});

t.test('google.rpc.Status bodies, JSON', async (t) => {
  t.same(JSON.parse(encodeRpcStatus(new ReceiverError('malformed', 'bad'), 'json').toString()), { code: GrpcCode.INVALID_ARGUMENT, message: 'bad' });
  t.same(JSON.parse(encodeRpcStatus(new ReceiverError('unavailable', 'later', { retryAfterSeconds: 4 }), 'json').toString()), {
    code: GrpcCode.UNAVAILABLE,
    message: 'later',
    details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '4s' }],
  });
});

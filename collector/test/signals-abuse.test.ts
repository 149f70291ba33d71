// Covers every registered OTLP signal (generated from otlpSignals, so a new
// signal cannot skip it) on both transports with the bad input every receiver
// must refuse the same way: no key, a malformed or unknown key, a key without
// the ingest scope, an undecodable body, an oversized body and a gzip bomb,
// a request with more elements than decoding may build (refused before it is
// decoded, through the signal's own wire schema),
// an unsupported content type and method (HTTP); each with its documented
// status, and an empty valid request accepted after all of them.
import zlib from 'node:zlib';
import { Client, credentials, Metadata, status as GrpcCode } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import { otlpSignals } from '../src/signals/index.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, keys, READ_ONLY_KEY, silentLogger } from './helpers/fixtures.ts';

const MAX_REQUEST_BYTES = 64 * 1024;
const identity = (buffer: Buffer): Buffer => buffer;
const bomb = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024));
const MAX_ELEMENTS = 1000;
// A new signal must be added here, or its elements test fails.
const RESOURCE_FIELDS: Readonly<Record<string, string>> = { traces: 'resourceSpans', logs: 'resourceLogs', metrics: 'resourceMetrics' };
const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);

t.test('every signal refuses bad input alike, on both transports', async (t) => {
  t.ok(otlpSignals.length >= 3, 'traces, logs and metrics at least');
  const sink = new MemorySink();
  const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0, maxRequestBytes: MAX_REQUEST_BYTES, decodeLimits: { maxRequestElements: MAX_ELEMENTS } });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  const client = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  t.teardown(() => client.close());

  for (const signal of otlpSignals) {
    await t.test(`${signal.signal} over OTLP/HTTP`, async (t) => {
      const url = `http://127.0.0.1:${httpPort}${signal.httpPath}`;
      const post = async (headers: Record<string, string>, body: Buffer | string, method = 'POST'): Promise<number> => {
        const response = await fetch(url, { method, headers, body: method === 'POST' ? body : null });
        await response.arrayBuffer();
        return response.status;
      };
      const json = { 'content-type': 'application/json' };
      t.equal(await post(json, '{}'), 401, 'no key');
      t.equal(await post({ ...json, authorization: 'Basic abc' }, '{}'), 401, 'not a Bearer key');
      t.equal(await post({ ...json, authorization: 'Bearer ja_sk_unknown' }, '{}'), 401, 'unknown key');
      t.equal(await post({ ...json, authorization: `Bearer ${READ_ONLY_KEY}` }, '{}'), 403, 'no ingest scope');
      const auth = { authorization: `Bearer ${INGEST_KEY}` };
      t.equal(await post({ ...auth, ...json }, '{"resource'), 400, 'undecodable JSON');
      t.equal(await post({ ...auth, 'content-type': 'application/x-protobuf' }, garbage), 400, 'undecodable protobuf');
      t.equal(await post({ ...auth, 'content-type': 'text/plain' }, '{}'), 415, 'unsupported content type');
      t.equal(await post({ ...auth, ...json }, Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x20)), 413, 'oversized');
      t.equal(await post({ ...auth, ...json, 'content-encoding': 'gzip' }, bomb), 413, 'a gzip bomb');
      // One resource with more attributes than the whole request may hold, in the signal's own top-level field.
      const resourceField = RESOURCE_FIELDS[signal.signal];
      t.ok(resourceField, 'the test knows this signal\'s top-level field');
      const attributes = Array.from({ length: MAX_ELEMENTS + 1 }, (_, i) => ({ key: `k${i}`, value: {} }));
      t.equal(await post({ ...auth, ...json }, JSON.stringify({ [resourceField ?? 'unknown']: [{ resource: { attributes } }] })), 400, 'more elements than allowed');
      t.equal(await post(auth, '', 'GET'), 405, 'GET');
      t.equal(await post({ ...auth, ...json }, '{}'), 200, 'an empty valid request is still accepted');
    });

    await t.test(`${signal.signal} over OTLP/gRPC`, async (t) => {
      const path = `/${signal.grpcService}/Export`;
      const call = (body: Buffer, authorization: string | null): Promise<ServiceError | null> =>
        new Promise((resolve) => {
          const metadata = new Metadata();
          if (authorization !== null) metadata.set('authorization', authorization);
          client.makeUnaryRequest(path, identity, identity, body, metadata, (error) => resolve(error));
        });
      const empty = Buffer.alloc(0);
      t.equal((await call(empty, null))?.code, GrpcCode.UNAUTHENTICATED, 'no key');
      t.equal((await call(empty, 'Bearer ja_sk_unknown'))?.code, GrpcCode.UNAUTHENTICATED, 'unknown key');
      t.equal((await call(empty, `Bearer ${READ_ONLY_KEY}`))?.code, GrpcCode.PERMISSION_DENIED, 'no ingest scope');
      t.equal((await call(garbage, `Bearer ${INGEST_KEY}`))?.code, GrpcCode.INVALID_ARGUMENT, 'undecodable protobuf');
      t.equal((await call(Buffer.alloc(MAX_REQUEST_BYTES + 1), `Bearer ${INGEST_KEY}`))?.code, GrpcCode.RESOURCE_EXHAUSTED, 'oversized');
      t.equal(await call(empty, `Bearer ${INGEST_KEY}`), null, 'an empty valid request is still accepted');
    });
  }
  t.equal(sink.batches.length, 0, 'nothing was written: the empty requests held no rows');
});

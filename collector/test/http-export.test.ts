// Covers OTLP/HTTP exports that succeed: binary protobuf and OTLP/JSON (with
// charset parameters), gzip, deflate and zstd bodies, responses in the
// request's encoding, partial_success from decoding and from the sink, and
// empty requests.
import zlib from 'node:zlib';
import { ExportTraceServiceResponse } from '@justanalytics/proto';
import t from 'tap';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, protobufRequest, SITE_ID, TRACE_ID_HEX } from './helpers/fixtures.ts';
import { buildHttpApp } from './helpers/http-app.ts';

const auth = { authorization: `Bearer ${INGEST_KEY}` };
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

const request = jsonRequest([jsonSpan({ name: 'one' }), jsonSpan({ name: 'two', spanId: '1111111111111111' })]);

t.test('binary protobuf', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const response = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': PROTOBUF }, payload: protobufRequest(request) });
  t.equal(response.statusCode, 200);
  t.equal(response.headers['content-type'], PROTOBUF);
  t.equal(response.rawPayload.length, 0, 'an ExportTraceServiceResponse with partial_success unset');
  t.equal(sink.batches.length, 1);
  t.equal(sink.batches[0]?.signal, 'traces');
  t.equal(sink.batches[0]?.siteId, SITE_ID, 'the key decides the site');
  t.same(
    sink.rows().map((row) => [row.name, row.traceId.toString('hex')]),
    [
      ['one', TRACE_ID_HEX],
      ['two', TRACE_ID_HEX],
    ],
  );
});

t.test('OTLP/JSON, with or without a charset', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  for (const contentType of [JSON_TYPE, 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
    const response = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': contentType }, payload: JSON.stringify(request) });
    t.equal(response.statusCode, 200, contentType);
    t.equal(response.headers['content-type'], JSON_TYPE, contentType);
    t.same(response.json(), {}, contentType);
  }
  t.equal(sink.rows().length, 6);
});

t.test('gzip, deflate and zstd bodies, in both encodings', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const bodies = { [PROTOBUF]: protobufRequest(request), [JSON_TYPE]: Buffer.from(JSON.stringify(request)) };
  const encoders: [string, (body: Buffer) => Buffer][] = [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['zstd', zlib.zstdCompressSync],
    ['identity', (body) => body],
  ];
  for (const [contentType, body] of Object.entries(bodies)) {
    for (const [encoding, encode] of encoders) {
      const before = sink.rows().length;
      const response = await app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { ...auth, 'content-type': contentType, 'content-encoding': encoding },
        payload: encode(body),
      });
      t.equal(response.statusCode, 200, `${contentType} ${encoding}`);
      t.equal(sink.rows().length - before, 2, `${contentType} ${encoding}`);
    }
  }
});

t.test('partial_success names rejected spans while the good ones are stored', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const mixed = jsonRequest([jsonSpan({ name: 'good' }), jsonSpan({ traceId: 'abcd' }), jsonSpan({ spanId: '0000000000000000' })]);

  const json = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': JSON_TYPE }, payload: JSON.stringify(mixed) });
  t.equal(json.statusCode, 200);
  t.same(json.json(), {
    partialSuccess: {
      rejectedSpans: '2',
      errorMessage: '2 spans rejected: invalid trace_id (16 bytes, not all zero, required); invalid span_id (8 bytes, not all zero, required)',
    },
  });

  const protobuf = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': PROTOBUF }, payload: protobufRequest(mixed) });
  t.equal(protobuf.statusCode, 200);
  const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(protobuf.rawPayload), { longs: String });
  t.same(decoded, { partialSuccess: { rejectedSpans: '2', errorMessage: json.json().partialSuccess.errorMessage } });
  t.same(
    sink.rows().map((row) => row.name),
    ['good', 'good'],
  );
});

t.test('rows the sink refuses are added to partial_success', async (t) => {
  const sink = new MemorySink({ result: (batch) => ({ rejected: batch.rows.length - 1, message: 'spans older than the retention period' }) });
  const { app } = await buildHttpApp({ sink });
  t.teardown(() => app.close());
  const threeWithOneBad = jsonRequest([jsonSpan(), jsonSpan({ spanId: '2222222222222222' }), jsonSpan({ spanId: 'zz' })]);
  const response = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': JSON_TYPE }, payload: JSON.stringify(threeWithOneBad) });
  t.same(response.json(), {
    partialSuccess: { rejectedSpans: '2', errorMessage: '1 span rejected: invalid span_id (8 bytes, not all zero, required); spans older than the retention period' },
  });
});

t.test('empty requests succeed without writing', async (t) => {
  const { app, sink } = await buildHttpApp();
  t.teardown(() => app.close());
  const bodies: [string, string | Buffer][] = [
    [PROTOBUF, Buffer.alloc(0)],
    [JSON_TYPE, '{}'],
    [JSON_TYPE, '{"resourceSpans":[]}'],
  ];
  for (const [contentType, payload] of bodies) {
    const response = await app.inject({ method: 'POST', url: '/v1/traces', headers: { ...auth, 'content-type': contentType }, payload });
    t.equal(response.statusCode, 200, contentType);
  }
  t.equal(sink.batches.length, 0);
});

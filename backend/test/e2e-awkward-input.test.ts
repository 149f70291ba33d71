// End to end through the whole server: awkward OTLP values come back from the
// query API exactly (int64 beyond 2^53, bytes, nested arrays and kvlists, NaN,
// 10,000 attributes, nanosecond times, dropped counts, schema URLs); strings
// PostgreSQL cannot hold come back sanitised; unstorable spans are rejected
// through partial_success while the rest of their batch is stored; a key of
// another site sees none of it; bad requests get 4xx and the server keeps serving.
import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '@justanalytics/proto';
import t from 'tap';
import { createApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { startTestServer } from './helpers/test-server.ts';
import { openDatabase } from '../src/db/connect.ts';
import { testLogger } from './helpers/test-database.ts';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const nowNanos = BigInt(Date.now()) * 1_000_000n + 123_789n;

t.test('awkward values round-trip through OTLP/JSON, storage and the API', async (t) => {
  const server = await startTestServer(t);
  const traceId = hex(16);
  const rootId = hex(8);
  const manyAttributes = Array.from({ length: 10_000 }, (_, i) => ({ key: `attr.${i}`, value: { intValue: String(i) } }));

  const root = {
    traceId,
    spanId: rootId,
    traceState: 'vendor=opaque',
    flags: 0x301,
    name: 'consume order',
    kind: 'SPAN_KIND_CONSUMER',
    startTimeUnixNano: nowNanos.toString(),
    endTimeUnixNano: (nowNanos + 1_000_000_001n).toString(),
    attributes: [
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'min', value: { intValue: '-9223372036854775808' } },
      { key: 'as.number', value: { intValue: 42 } },
      { key: 'bytes', value: { bytesValue: 'AAEC/w==' } },
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: '-Infinity' } },
      { key: 'pi', value: { doubleValue: 3.141592653589793 } },
      { key: 'mixed', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { boolValue: false }, { arrayValue: { values: [] } }] } } },
      { key: 'nested', value: { kvlistValue: { values: [{ key: 'inner', value: { kvlistValue: { values: [{ key: 'deep', value: { stringValue: 'yes' } }] } } }] } } },
      { key: 'empty', value: {} },
      { key: 'nul', value: { stringValue: 'a\u0000b' } },
      { key: 'lone surrogate', value: { stringValue: 'x\ud800y' } },
    ],
    droppedAttributesCount: 5,
    events: [
      { timeUnixNano: (nowNanos + 7n).toString(), name: 'exception', attributes: [{ key: 'exception.type', value: { stringValue: 'TimeoutError' } }], droppedAttributesCount: 2 },
    ],
    droppedEventsCount: 6,
    links: [{ traceId: hex(16), spanId: hex(8), traceState: 'k=v', attributes: [{ key: 'why', value: { stringValue: 'batch' } }], droppedAttributesCount: 1, flags: 0x101 }],
    droppedLinksCount: 7,
    status: { code: 'STATUS_CODE_ERROR', message: 'timed out' },
    unknownField: 'ignored',
  };
  const wide = { traceId, spanId: hex(8), parentSpanId: rootId, name: 'wide', kind: 1, startTimeUnixNano: nowNanos.toString(), endTimeUnixNano: nowNanos.toString(), attributes: manyAttributes };
  const zeroTrace = { ...wide, traceId: '0'.repeat(32), spanId: hex(8) };
  const from1970 = { ...wide, spanId: hex(8), startTimeUnixNano: '1000', endTimeUnixNano: '2000', attributes: [] };

  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'awkward' } }], droppedAttributesCount: 3 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
        scopeSpans: [
          {
            scope: { name: 'scope', version: '9', attributes: [{ key: 'scope.attr', value: { boolValue: true } }], droppedAttributesCount: 1 },
            schemaUrl: 'https://example.com/scope-schema',
            spans: [root, wide, zeroTrace, from1970],
          },
        ],
      },
    ],
  };
  const response = await fetch(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.ingestKey}` },
    body: JSON.stringify(request),
  });
  t.equal(response.status, 200);
  const answer = (await response.json()) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
  t.equal(String(answer.partialSuccess?.rejectedSpans), '2', 'the all-zero trace ID and the 1970 span are rejected');
  t.match(answer.partialSuccess?.errorMessage, /trace_id/);

  const { status, body } = await server.api(`/api/v1/traces/${traceId}`);
  t.equal(status, 200);
  const data = body as { resourceSpans: Array<{ resource: unknown; schemaUrl: string; scopeSpans: Array<{ scope: unknown; schemaUrl: string; spans: Array<Record<string, unknown>> }> }> };
  t.equal(data.resourceSpans.length, 1);
  const [resourceSpans] = data.resourceSpans;
  t.same(resourceSpans!.resource, request.resourceSpans[0]!.resource);
  t.equal(resourceSpans!.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
  t.equal(resourceSpans!.scopeSpans.length, 1);
  const [scopeSpans] = resourceSpans!.scopeSpans;
  t.same(scopeSpans!.scope, request.resourceSpans[0]!.scopeSpans[0]!.scope);
  t.equal(scopeSpans!.schemaUrl, 'https://example.com/scope-schema');
  t.equal(scopeSpans!.spans.length, 2, 'the two storable spans');

  const gotRoot = scopeSpans!.spans.find((s) => s.spanId === rootId);
  const { unknownField: _ignored, kind: _kind, status: _status, attributes, ...plain } = root;
  t.same(gotRoot, {
    ...plain,
    kind: 5,
    status: { code: 2, message: 'timed out' },
    attributes: attributes.map((a) => {
      if (a.key === 'as.number') return { key: a.key, value: { intValue: '42' } };
      if (a.key === 'nul') return { key: a.key, value: { stringValue: 'a\uFFFDb' } };
      if (a.key === 'lone surrogate') return { key: a.key, value: { stringValue: 'x\uFFFDy' } };
      return a;
    }),
  });
  const gotWide = scopeSpans!.spans.find((s) => s.spanId === wide.spanId);
  t.same(gotWide?.attributes, manyAttributes, '10,000 attributes, in order');

  // Another site's key sees nothing of this site's trace.
  const handle = await openDatabase({ databaseUrl: server.databaseUrl, dataDir: '', logger: testLogger() });
  t.teardown(() => handle.close());
  const other = await createSite(handle.db, { name: 'other' });
  const { key: otherKey } = await createApiKey(handle.db, { siteId: other.id, scopes: ['ingest', 'read'] });
  await server.untilKeyIsLive(otherKey);
  t.equal((await server.api(`/api/v1/traces/${traceId}`, otherKey)).status, 404);
  t.same((await server.api('/api/v1/traces?service=awkward', otherKey)).body, { traces: [], nextCursor: null });
});

t.test('invalid UTF-8 in protobuf strings is stored as U+FFFD', async (t) => {
  const server = await startTestServer(t);
  const traceId = randomBytes(16);
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bytes' } }] },
        scopeSpans: [{ spans: [{ traceId, spanId: randomBytes(8), name: 'QQQQ', kind: 1, startTimeUnixNano: nowNanos.toString(), endTimeUnixNano: nowNanos.toString() }] }],
      },
    ],
  });
  const body = Buffer.from(ExportTraceServiceRequest.encode(message).finish());
  const at = body.indexOf('QQQQ');
  body.set([0xff, 0xfe, 0x41, 0x42], at); // same length, not UTF-8
  const response = await fetch(`${server.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${server.ingestKey}` },
    body,
  });
  t.equal(response.status, 200);
  const { body: trace } = await server.api(`/api/v1/traces/${traceId.toString('hex')}`);
  t.match(trace, { resourceSpans: [{ scopeSpans: [{ spans: [{ name: '\uFFFD\uFFFDAB' }] }] }] });
});

t.test('bad requests get their 4xx and the server keeps serving', async (t) => {
  const server = await startTestServer(t);
  const post = (body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
    fetch(`${server.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { authorization: `Bearer ${server.ingestKey}`, ...headers }, body });
  const cases: Array<[string, () => Promise<Response>, number]> = [
    ['garbage protobuf', () => post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' }), 400],
    ['invalid JSON', () => post('{"resourceSpans": [', { 'content-type': 'application/json' }), 400],
    ['wrong content type', () => post('hello', { 'content-type': 'text/plain' }), 415],
    ['unknown key', () => fetch(`${server.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ja_sk_nope' }, body: '{}' }), 401],
    ['missing key', () => fetch(`${server.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 401],
    ['wrong method', () => fetch(`${server.otlpHttpUrl}/v1/traces`, { method: 'GET' }), 405],
  ];
  for (const [name, send, expected] of cases) {
    const response = await send();
    t.equal(response.status, expected, name);
    await response.arrayBuffer();
  }
  const good = await post(JSON.stringify({ resourceSpans: [] }), { 'content-type': 'application/json' });
  t.equal(good.status, 200, 'still serving');
  t.same(await good.json(), {});
});

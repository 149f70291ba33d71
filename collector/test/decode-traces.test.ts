// Covers decodeSpanRows on both encodings: every field of a span reaches
// its SpanRow exactly (IDs, 64-bit times and ints, every AnyValue type,
// events, links, status, resource, scope, schema URLs, promoted columns),
// and protobuf and OTLP/JSON yield identical rows.
import t from 'tap';
import { decodeSpanRows } from '../src/signals/traces/decode-trace-request.ts';
import { UNKNOWN_SERVICE } from '../src/decode/promoted-attributes.ts';
import type { SpanRow } from '../src/signals/traces/span-row.ts';
import { jsonRequest, jsonSpan, PARENT_SPAN_ID_HEX, protobufRequest, SITE_ID, SPAN_ID_HEX, TRACE_ID_HEX } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';

const attributes = [
  { key: 'str', value: { stringValue: 'hello' } },
  { key: 'bool', value: { boolValue: true } },
  { key: 'int.max', value: { intValue: '9223372036854775807' } },
  { key: 'int.min', value: { intValue: '-9223372036854775808' } },
  { key: 'int.beyond.2^53', value: { intValue: '9007199254740993' } },
  { key: 'double', value: { doubleValue: 3.25 } },
  { key: 'double.nan', value: { doubleValue: 'NaN' } },
  { key: 'double.inf', value: { doubleValue: 'Infinity' } },
  { key: 'double.-inf', value: { doubleValue: '-Infinity' } },
  { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2, 254, 255]).toString('base64') } },
  { key: 'array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }, { arrayValue: { values: [{ boolValue: false }] } }] } } },
  { key: 'kvlist', value: { kvlistValue: { values: [{ key: 'inner', value: { kvlistValue: { values: [{ key: 'deep', value: { doubleValue: 1.5 } }] } } }] } } },
  { key: 'empty', value: {} },
  { key: 'http.route', value: { stringValue: '/users/:id' } },
  { key: 'http.response.status_code', value: { intValue: '404' } },
];

// Events and links are stored as OTLP/JSON, so they reach the row as sent.
const events = [
  { timeUnixNano: '1700000000123456790', name: 'exception', attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }], droppedAttributesCount: 1 },
];
const links = [
  {
    traceId: '0102030405060708090a0b0c0d0e0f10',
    spanId: '0102030405060708',
    traceState: 'l=1',
    attributes: [{ key: 'link.kind', value: { stringValue: 'follows' } }],
    droppedAttributesCount: 3,
    flags: 0x101,
  },
];

const richSpan = jsonSpan({
  parentSpanId: PARENT_SPAN_ID_HEX,
  traceState: 'vendor=value,other=1',
  flags: 0x301,
  kind: 3,
  startTimeUnixNano: '18446744073709551',
  endTimeUnixNano: '9223372036854775807',
  attributes,
  droppedAttributesCount: 7,
  events,
  droppedEventsCount: 2,
  links,
  droppedLinksCount: 4,
  status: { code: 2, message: 'it failed' },
});

function richRequest(): JsonObject {
  const request = jsonRequest([richSpan], [
    { key: 'service.name', value: { stringValue: 'checkout' } },
    { key: 'host.name', value: { stringValue: 'web-1' } },
  ]);
  const resourceSpans = (request.resourceSpans as JsonObject[])[0] as JsonObject;
  resourceSpans.schemaUrl = 'https://opentelemetry.io/schemas/1.26.0';
  (resourceSpans.resource as JsonObject).droppedAttributesCount = 5;
  const scopeSpans = (resourceSpans.scopeSpans as JsonObject[])[0] as JsonObject;
  scopeSpans.schemaUrl = 'https://opentelemetry.io/schemas/1.25.0';
  (scopeSpans.scope as JsonObject).attributes = [{ key: 'scope.attr', value: { intValue: '42' } }];
  (scopeSpans.scope as JsonObject).droppedAttributesCount = 6;
  return request;
}

const expectedRow: SpanRow = {
  siteId: SITE_ID,
  traceId: Buffer.from(TRACE_ID_HEX, 'hex'),
  spanId: Buffer.from(SPAN_ID_HEX, 'hex'),
  parentSpanId: Buffer.from(PARENT_SPAN_ID_HEX, 'hex'),
  traceState: 'vendor=value,other=1',
  flags: 0x301,
  name: 'GET /users/:id',
  kind: 3,
  startTimeUnixNano: 18446744073709551n,
  endTimeUnixNano: 9223372036854775807n,
  statusCode: 2,
  statusMessage: 'it failed',
  serviceName: 'checkout',
  httpRoute: '/users/:id',
  httpStatusCode: 404,
  attributes: attributes.map((kv) =>
    kv.key === 'bytes' ? kv : kv.key === 'double' ? { key: 'double', value: { doubleValue: 3.25 } } : kv,
  ) as SpanRow['attributes'],
  droppedAttributesCount: 7,
  events,
  droppedEventsCount: 2,
  links,
  droppedLinksCount: 4,
  resource: {
    attributes: [
      { key: 'service.name', value: { stringValue: 'checkout' } },
      { key: 'host.name', value: { stringValue: 'web-1' } },
    ],
    droppedAttributesCount: 5,
  },
  resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  scope: { name: 'test-scope', version: '1.0.0', attributes: [{ key: 'scope.attr', value: { intValue: '42' } }], droppedAttributesCount: 6 },
  scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
};

t.test('protobuf: every field of a span reaches the row exactly', async (t) => {
  const decoded = decodeSpanRows(protobufRequest(richRequest()), 'protobuf', SITE_ID);
  t.equal(decoded.rejected, 0);
  t.equal(decoded.message, '');
  t.same(decoded.rows, [expectedRow]);
  const row = decoded.rows[0] as SpanRow;
  t.equal(typeof row.startTimeUnixNano, 'bigint');
  t.equal(row.endTimeUnixNano, 2n ** 63n - 1n);
});

t.test('OTLP/JSON: the same request decodes to the same row', async (t) => {
  const decoded = decodeSpanRows(Buffer.from(JSON.stringify(richRequest())), 'json', SITE_ID);
  t.equal(decoded.rejected, 0);
  t.same(decoded.rows, [expectedRow]);
});

t.test('rows own their ID bytes rather than viewing the request buffer', async (t) => {
  const body = protobufRequest(jsonRequest([jsonSpan()]));
  const row = decodeSpanRows(body, 'protobuf', SITE_ID).rows[0] as SpanRow;
  body.fill(0);
  t.equal(row.traceId.toString('hex'), TRACE_ID_HEX, 'unchanged after the request buffer is overwritten');
});

t.test('defaults: no resource, no scope, no status, an empty request', async (t) => {
  const request = { resourceSpans: [{ scopeSpans: [{ spans: [jsonSpan()] }] }] };
  for (const [encoding, body] of [
    ['protobuf', protobufRequest(request)],
    ['json', Buffer.from(JSON.stringify(request))],
  ] as const) {
    const [row] = decodeSpanRows(body, encoding, SITE_ID).rows;
    t.ok(row, encoding);
    t.equal(row?.serviceName, UNKNOWN_SERVICE);
    t.same(row?.resource, { attributes: [], droppedAttributesCount: 0 });
    t.same(row?.scope, { name: '', version: '', attributes: [], droppedAttributesCount: 0 });
    t.equal(row?.statusCode, 0);
    t.equal(row?.statusMessage, '');
    t.equal(row?.parentSpanId, null);
    t.equal(row?.httpRoute, null);
    t.equal(row?.httpStatusCode, null);
  }
  t.same(decodeSpanRows(Buffer.alloc(0), 'protobuf', SITE_ID), { rows: [], rejected: 0, message: '' });
  t.same(decodeSpanRows(Buffer.from('{}'), 'json', SITE_ID), { rows: [], rejected: 0, message: '' });
});

t.test('an all-zero parent span ID means a root span', async (t) => {
  const request = jsonRequest([jsonSpan({ parentSpanId: '0000000000000000' })]);
  t.equal(decodeSpanRows(protobufRequest(request), 'protobuf', SITE_ID).rows[0]?.parentSpanId, null);
  t.equal(decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID).rows[0]?.parentSpanId, null);
});

t.test('the legacy http.status_code is used when http.response.status_code is absent', async (t) => {
  const request = jsonRequest([jsonSpan({ attributes: [{ key: 'http.status_code', value: { intValue: 503 } }] })]);
  t.equal(decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID).rows[0]?.httpStatusCode, 503);
  const odd = jsonRequest([jsonSpan({ attributes: [{ key: 'http.response.status_code', value: { intValue: '99999999999' } }] })]);
  t.equal(decodeSpanRows(Buffer.from(JSON.stringify(odd)), 'json', SITE_ID).rows[0]?.httpStatusCode, null, 'not a status code: attribute only');
});

t.test('spans keep their resource and scope when a request has several', async (t) => {
  const request = {
    resourceSpans: [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeSpans: [{ scope: { name: 's1' }, spans: [jsonSpan({ name: 'one' })] }, { scope: { name: 's2' }, spans: [jsonSpan({ name: 'two' })] }] },
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'b' } }] }, scopeSpans: [{ scope: { name: 's3' }, spans: [jsonSpan({ name: 'three' })] }] },
    ],
  };
  const rows = decodeSpanRows(protobufRequest(request), 'protobuf', SITE_ID).rows;
  t.same(
    rows.map((row) => [row.name, row.serviceName, row.scope.name]),
    [
      ['one', 'a', 's1'],
      ['two', 'a', 's2'],
      ['three', 'b', 's3'],
    ],
  );
});

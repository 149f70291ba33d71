// Covers the decode limits (decode/decode-limits.ts), in both encodings:
// attributes of spans, resources, scopes, events and links, events and links
// past their limits dropped and added to the dropped counts already sent
// (saturating at uint32); values with too many items or nested too deep
// rejecting the spans that carry them through partial_success (all the spans
// of a resource or scope when the value is theirs); a request over the
// element limit refused whole with 400 / INVALID_ARGUMENT naming the limit,
// over OTLP/HTTP, OTLP/gRPC and a whole collector; the defaults keeping
// everything the other tests send; the options validated.
import { status as GrpcCode } from '@grpc/grpc-js';
import t from 'tap';
import { DEFAULT_DECODE_LIMITS, decodeLimitsOf } from '../src/decode/decode-limits.ts';
import type { DecodeLimits } from '../src/decode/decode-limits.ts';
import { decodeSpanRows, scanTraceRequest } from '../src/signals/traces/decode-trace-request.ts';
import { MalformedRequestError } from '../src/decode/malformed-request-error.ts';
import { createCollector } from '../src/receivers/collector.ts';
import { createOtlpGrpcServer } from '../src/receivers/otlp-grpc.ts';
import { createOtlpHttpServer } from '../src/receivers/otlp-http.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import type { SpanRow } from '../src/signals/traces/span-row.ts';
import { INGEST_KEY, jsonRequest, jsonSpan, keys, protobufRequest, silentLogger, SITE_ID, SPAN_ID_HEX, TRACE_ID_HEX } from './helpers/fixtures.ts';
import type { JsonObject } from './helpers/fixtures.ts';
import { traceExportClient } from './helpers/grpc-client.ts';
import { buildHttpApp } from './helpers/http-app.ts';

const limits = (overrides: Partial<DecodeLimits>): DecodeLimits => ({ ...DEFAULT_DECODE_LIMITS, ...overrides });

const both = (request: JsonObject, given: Partial<DecodeLimits>) =>
  [
    ['protobuf', decodeSpanRows(protobufRequest(request), 'protobuf', SITE_ID, limits(given))],
    ['json', decodeSpanRows(Buffer.from(JSON.stringify(request)), 'json', SITE_ID, limits(given))],
  ] as const;

const attributes = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ key: `${prefix}.${i}`, value: { intValue: String(i) } }));
const keysOf = (list: readonly { key: string }[]) => list.map((attribute) => attribute.key);

t.test('attributes past maxAttributes are dropped and counted, on spans, resources, scopes, events and links', async (t) => {
  const request = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, ...attributes('resource', 2)], droppedAttributesCount: 1 },
        scopeSpans: [
          {
            scope: { name: 'scope', attributes: attributes('scope', 3) },
            spans: [
              jsonSpan({
                attributes: attributes('span', 3),
                droppedAttributesCount: 5,
                events: [{ timeUnixNano: '1', name: 'e', attributes: attributes('event', 4), droppedAttributesCount: 2 }],
                links: [{ traceId: TRACE_ID_HEX, spanId: SPAN_ID_HEX, attributes: attributes('link', 3) }],
              }),
            ],
          },
        ],
      },
    ],
  };
  for (const [encoding, decoded] of both(request, { maxAttributes: 2 })) {
    t.equal(decoded.rejected, 0, `${encoding}: nothing rejected`);
    t.equal(decoded.message, '', `${encoding}: no partial_success`);
    const row = decoded.rows[0] as SpanRow;
    t.same(keysOf(row.resource.attributes), ['service.name', 'resource.0'], `${encoding}: resource, the first ones kept in order`);
    t.equal(row.resource.droppedAttributesCount, 2, `${encoding}: resource, added to the count sent`);
    t.equal(row.serviceName, 'checkout', `${encoding}: promoted from what is kept`);
    t.same(keysOf(row.scope.attributes), ['scope.0', 'scope.1'], `${encoding}: scope`);
    t.equal(row.scope.droppedAttributesCount, 1, `${encoding}: scope`);
    t.same(keysOf(row.attributes), ['span.0', 'span.1'], `${encoding}: span`);
    t.equal(row.droppedAttributesCount, 6, `${encoding}: span`);
    t.same(keysOf(row.events[0]?.attributes ?? []), ['event.0', 'event.1'], `${encoding}: event`);
    t.equal(row.events[0]?.droppedAttributesCount, 4, `${encoding}: event`);
    t.same(keysOf(row.links[0]?.attributes ?? []), ['link.0', 'link.1'], `${encoding}: link`);
    t.equal(row.links[0]?.droppedAttributesCount, 1, `${encoding}: link`);
  }
  for (const [encoding, decoded] of both(request, { maxAttributes: 3 })) {
    const row = decoded.rows[0] as SpanRow;
    t.same(keysOf(row.attributes), ['span.0', 'span.1', 'span.2'], `${encoding}: at the limit, all kept`);
    t.equal(row.droppedAttributesCount, 5, `${encoding}: and the count as sent`);
  }
});

t.test('events and links past their limits are dropped and counted', async (t) => {
  const events = Array.from({ length: 5 }, (_, i) => ({ timeUnixNano: String(i), name: `event.${i}` }));
  const links = Array.from({ length: 4 }, (_, i) => ({ traceId: TRACE_ID_HEX, spanId: SPAN_ID_HEX, traceState: `link.${i}` }));
  const request = jsonRequest([jsonSpan({ events, droppedEventsCount: 4, links, droppedLinksCount: 1 })]);
  for (const [encoding, decoded] of both(request, { maxSpanEvents: 2, maxSpanLinks: 3 })) {
    const row = decoded.rows[0] as SpanRow;
    t.same(
      row.events.map((event) => event.name),
      ['event.0', 'event.1'],
      `${encoding}: the first events kept`,
    );
    t.equal(row.droppedEventsCount, 7, `${encoding}: 3 more dropped`);
    t.same(
      row.links.map((link) => link.traceState),
      ['link.0', 'link.1', 'link.2'],
      `${encoding}: the first links kept`,
    );
    t.equal(row.droppedLinksCount, 2, `${encoding}: 1 more dropped`);
  }
});

t.test('dropped counts saturate at the largest uint32', async (t) => {
  const request = jsonRequest([jsonSpan({ attributes: attributes('a', 3), droppedAttributesCount: 4294967295, events: [{}, {}], droppedEventsCount: 4294967294 })]);
  for (const [encoding, decoded] of both(request, { maxAttributes: 1, maxSpanEvents: 1 })) {
    t.equal(decoded.rows[0]?.droppedAttributesCount, 4294967295, encoding);
    t.equal(decoded.rows[0]?.droppedEventsCount, 4294967295, encoding);
  }
});

const array = (items: number) => ({ arrayValue: { values: Array.from({ length: items }, (_, i) => ({ intValue: String(i) })) } });
const kvlist = (entries: number) => ({ kvlistValue: { values: attributes('entry', entries) } });
const nested = (depth: number): JsonObject => {
  let value: JsonObject = { boolValue: true };
  for (let i = 1; i < depth; i++) value = i % 2 === 0 ? { arrayValue: { values: [value] } } : { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
};
const TOO_MANY_ITEMS = 'attribute value with more than 3 array items or kvlist entries';
const TOO_DEEP = 'attribute value nested more than 3 levels deep';

t.test('a value past maxValueItems or maxValueDepth rejects the span carrying it, with the reason', async (t) => {
  const cases: [string, JsonObject, string | null][] = [
    ['an array of 3 items', { attributes: [{ key: 'a', value: array(3) }] }, null],
    ['an array of 4 items', { attributes: [{ key: 'a', value: array(4) }] }, TOO_MANY_ITEMS],
    ['a kvlist of 3 entries', { attributes: [{ key: 'a', value: kvlist(3) }] }, null],
    ['a kvlist of 4 entries', { attributes: [{ key: 'a', value: kvlist(4) }] }, TOO_MANY_ITEMS],
    ['an array of 4 items, nested', { attributes: [{ key: 'a', value: { kvlistValue: { values: [{ key: 'in', value: array(4) }] } } }] }, TOO_MANY_ITEMS],
    ['in an event', { events: [{ attributes: [{ key: 'a', value: array(4) }] }] }, TOO_MANY_ITEMS],
    ['in a link', { links: [{ traceId: TRACE_ID_HEX, spanId: SPAN_ID_HEX, attributes: [{ key: 'a', value: kvlist(4) }] }] }, TOO_MANY_ITEMS],
    ['a value 3 levels deep', { attributes: [{ key: 'a', value: nested(3) }] }, null],
    ['a value 4 levels deep', { attributes: [{ key: 'a', value: nested(4) }] }, TOO_DEEP],
    ['a value 4 levels deep in an event', { events: [{ attributes: [{ key: 'a', value: nested(4) }] }] }, TOO_DEEP],
    // Items past maxAttributes are dropped before their values are looked at.
    ['a dropped attribute', { attributes: [...attributes('a', 5), { key: 'a', value: array(4) }] }, null],
  ];
  for (const [what, overrides, reason] of cases) {
    const request = jsonRequest([jsonSpan({ name: 'good-1' }), jsonSpan({ name: 'carrier', ...overrides }), jsonSpan({ name: 'good-2' })]);
    for (const [encoding, decoded] of both(request, { maxValueItems: 3, maxValueDepth: 3, maxAttributes: 5 })) {
      if (reason === null) {
        t.equal(decoded.rows.length, 3, `${what}, ${encoding}: kept`);
        t.equal(decoded.rejected, 0, `${what}, ${encoding}`);
      } else {
        t.same(
          decoded.rows.map((row) => row.name),
          ['good-1', 'good-2'],
          `${what}, ${encoding}: that span rejected, the others kept`,
        );
        t.equal(decoded.rejected, 1, `${what}, ${encoding}`);
        t.equal(decoded.message, `1 span rejected: ${reason}`, `${what}, ${encoding}`);
      }
    }
  }
});

t.test("a resource's or a scope's value past the limits rejects their spans", async (t) => {
  const request = {
    resourceSpans: [
      { resource: { attributes: [{ key: 'a', value: array(4) }] }, scopeSpans: [{ spans: [jsonSpan({ name: 'r1' }), jsonSpan({ name: 'r2' })] }, { spans: [jsonSpan({ name: 'r3' })] }] },
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fine' } }] },
        scopeSpans: [
          { scope: { attributes: [{ key: 'a', value: nested(4) }] }, spans: [jsonSpan({ name: 's1' })] },
          { scope: { name: 'fine' }, spans: [jsonSpan({ name: 'kept' })] },
        ],
      },
    ],
  };
  for (const [encoding, decoded] of both(request, { maxValueItems: 3, maxValueDepth: 3 })) {
    t.same(
      decoded.rows.map((row) => row.name),
      ['kept'],
      encoding,
    );
    t.equal(decoded.rejected, 4, encoding);
    t.equal(decoded.message, `4 spans rejected: resource ${TOO_MANY_ITEMS}; scope ${TOO_DEEP}`, encoding);
  }
});

t.test('the defaults keep what the other tests send whole', async (t) => {
  const wide = jsonRequest([jsonSpan({ attributes: attributes('attr', 10_000), events: Array.from({ length: 1000 }, () => ({ name: 'e' })) })]);
  for (const [encoding, decoded] of both(wide, {})) {
    t.equal(decoded.rows[0]?.attributes.length, 10_000, `${encoding}: 10,000 attributes`);
    t.equal(decoded.rows[0]?.droppedAttributesCount, 0, encoding);
    t.equal(decoded.rows[0]?.events.length, 1000, encoding);
  }
  t.same(DEFAULT_DECODE_LIMITS, {
    maxAttributes: 16_384,
    maxSpanEvents: 16_384,
    maxSpanLinks: 16_384,
    maxValueItems: 16_384,
    maxValueDepth: 48,
    maxRequestElements: 1_048_576,
  });
  t.ok(Object.isFrozen(DEFAULT_DECODE_LIMITS));
});

// resourceSpans, its resource attribute (service.name), scopeSpans, span, and its attributes.
const requestOf = (spanAttributes: number) => jsonRequest([jsonSpan({ attributes: attributes('a', spanAttributes) })]);
const LIMIT_MESSAGE = /request holds more than 10 elements .*the limit per request/;

t.test('a request over maxRequestElements is refused whole before decoding', async (t) => {
  for (const [encoding, body] of [
    ['protobuf', (n: number) => protobufRequest(requestOf(n))],
    ['json', (n: number) => Buffer.from(JSON.stringify(requestOf(n)))],
  ] as const) {
    t.equal(decodeSpanRows(body(6), encoding, SITE_ID, limits({ maxRequestElements: 10 })).rows.length, 1, `${encoding}: 10 elements pass`);
    t.equal(scanTraceRequest(body(6), encoding, limits({ maxRequestElements: 10 })).elements, 10, encoding);
    t.throws(() => decodeSpanRows(body(7), encoding, SITE_ID, limits({ maxRequestElements: 10 })), MalformedRequestError, `${encoding}: 11 do not`);
    t.throws(() => scanTraceRequest(body(7), encoding, limits({ maxRequestElements: 10 })), { message: LIMIT_MESSAGE }, `${encoding}: the message names the limit`);
  }
});

t.test('over OTLP/HTTP and OTLP/gRPC: 400 / INVALID_ARGUMENT naming the limit, nothing written', async (t) => {
  const sink = new MemorySink();
  const { app } = await buildHttpApp({ sink, decodeLimits: { maxRequestElements: 10 } });
  t.teardown(() => app.close());
  const post = (payload: Buffer, contentType: string) =>
    app.inject({ method: 'POST', url: '/v1/traces', headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': contentType }, payload });
  const json = await post(Buffer.from(JSON.stringify(requestOf(7))), 'application/json');
  t.equal(json.statusCode, 400);
  t.match(JSON.parse(json.body), { code: GrpcCode.INVALID_ARGUMENT, message: LIMIT_MESSAGE });
  t.equal((await post(protobufRequest(requestOf(7)), 'application/x-protobuf')).statusCode, 400);
  t.equal(sink.batches.length, 0, 'nothing written');
  t.equal((await post(protobufRequest(requestOf(6)), 'application/x-protobuf')).statusCode, 200, 'at the limit it passes');

  const server = createOtlpGrpcServer({ sink, keys, logger: silentLogger, decodeLimits: { maxRequestElements: 10 } });
  const client = traceExportClient(await server.listen('127.0.0.1', 0));
  t.teardown(async () => {
    client.close();
    await server.close();
  });
  const { error } = await client.export(protobufRequest(requestOf(7)));
  t.equal(error?.code, GrpcCode.INVALID_ARGUMENT);
  t.match(error?.details, LIMIT_MESSAGE);
  t.equal((await client.export(protobufRequest(requestOf(6)))).error, null);
});

t.test('a collector applies its decodeLimits on both receivers, and answers partial_success for the spans a value rejects', async (t) => {
  const sink = new MemorySink();
  const collector = createCollector({
    sink,
    keys,
    logger: silentLogger,
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    decodeLimits: { maxAttributes: 2, maxValueItems: 3, maxRequestElements: 20 },
  });
  const { httpPort, grpcPort } = await collector.start();
  t.teardown(() => collector.shutdown());
  const post = (request: JsonObject) =>
    fetch(`http://127.0.0.1:${httpPort}/v1/traces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });

  const partial = await post(jsonRequest([jsonSpan({ attributes: [{ key: 'a', value: array(4) }] }), jsonSpan({ name: 'wide', attributes: attributes('a', 5) })]));
  t.equal(partial.status, 200);
  t.same(await partial.json(), { partialSuccess: { rejectedSpans: '1', errorMessage: `1 span rejected: ${TOO_MANY_ITEMS}` } });
  const stored = sink.rows();
  t.same(
    stored.map((row) => [row.name, row.attributes.length, row.droppedAttributesCount]),
    [['wide', 2, 3]],
  );

  const tooMany = await post(requestOf(17));
  t.equal(tooMany.status, 400);
  t.match((await tooMany.json()) as { message: string }, { message: /more than 20 elements/ });

  const client = traceExportClient(grpcPort, { gzip: true });
  t.teardown(() => client.close());
  t.equal((await client.export(protobufRequest(requestOf(17)))).error?.code, GrpcCode.INVALID_ARGUMENT, 'gRPC too');
});

t.test('limits are validated: positive integers with known names', async (t) => {
  t.equal(decodeLimitsOf(undefined, 'test'), DEFAULT_DECODE_LIMITS);
  t.same(decodeLimitsOf({ maxAttributes: 7 }, 'test'), { ...DEFAULT_DECODE_LIMITS, maxAttributes: 7 });
  const base = { sink: new MemorySink(), keys, logger: silentLogger };
  const bad: [string, unknown][] = [
    ['zero', { maxAttributes: 0 }],
    ['negative', { maxSpanEvents: -1 }],
    ['fractional', { maxValueDepth: 1.5 }],
    ['NaN', { maxValueItems: Number.NaN }],
    ['infinite', { maxRequestElements: Number.POSITIVE_INFINITY }],
    ['a string', { maxSpanLinks: '5' }],
    ['an unknown limit', { maxSpans: 5 }],
    ['not an object', 5],
  ];
  for (const [what, decodeLimits] of bad) {
    t.throws(() => decodeLimitsOf(decodeLimits as Partial<DecodeLimits>, 'test'), TypeError, what);
    t.throws(() => createCollector({ ...base, decodeLimits: decodeLimits as Partial<DecodeLimits> }), TypeError, `collector: ${what}`);
    t.throws(() => createOtlpGrpcServer({ ...base, decodeLimits: decodeLimits as Partial<DecodeLimits> }), TypeError, `gRPC: ${what}`);
    await t.rejects(createOtlpHttpServer({ ...base, decodeLimits: decodeLimits as Partial<DecodeLimits> }), TypeError, `HTTP: ${what}`);
  }
  t.throws(() => decodeLimitsOf({ maxAttributes: 0 }, 'collector'), { message: 'collector: options.decodeLimits.maxAttributes must be a positive integer, got 0' });
});

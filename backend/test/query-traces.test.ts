// Covers getTrace over a real database: spans written by the PostgresSink come
// back as OTLP/JSON field for field (awkward values included), grouped by
// resource and scope (two of each, interleaved, from separate exports, to the
// byte), de-duplicated, across midnight, only for their site, and cut to the
// earliest `limit` spans with the distinct total counted.
import t from 'tap';
import { getTrace } from '../src/query/traces/traces.ts';
import { awkwardTrace, nanos, newSpanId, newTraceId, SECOND, spanJson, spanRow } from './helpers/query-fixtures.ts';
import { setUpQueryTest } from './helpers/query-test-setup.ts';

const { db, siteA, siteB, write } = await setUpQueryTest(t);
const now = new Date();

t.test('a trace comes back whole, as OTLP/JSON, grouped by resource and scope', async (t) => {
  const { traceId, rows } = awkwardTrace(siteA, new Date(now.getTime() - 600_000));
  const [root, internal, client] = rows;
  if (!root || !internal || !client) throw new Error('fixture');
  // Out of order, and the root written twice as an exporter retry would.
  await write(siteA, [client, root]);
  await write(siteA, [internal, root]);

  const view = await getTrace(db, siteA, traceId.toString('hex'));
  t.equal(view?.spanCount, 3, 'the root written twice counts once');
  t.equal(view?.returnedSpanCount, 3);
  const trace = view?.trace;
  t.strictSame(trace, {
    resourceSpans: [
      {
        resource: root.resource,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [
          { scope: root.scope, schemaUrl: 'https://opentelemetry.io/schemas/1.24.0', spans: [spanJson(root)] },
          { scope: internal.scope, schemaUrl: '', spans: [spanJson(internal)] },
        ],
      },
      {
        resource: client.resource,
        schemaUrl: '',
        scopeSpans: [{ scope: client.scope, schemaUrl: '', spans: [spanJson(client)] }],
      },
    ],
  });
  // Spot checks of what a loose comparison could hide.
  const span = trace?.resourceSpans[0]?.scopeSpans[0]?.spans[0];
  t.equal(span?.startTimeUnixNano, root.startTimeUnixNano.toString());
  t.equal(span?.parentSpanId, undefined, 'a root has no parentSpanId');
  t.equal(trace?.resourceSpans[0]?.scopeSpans[1]?.spans[0]?.parentSpanId, root.spanId.toString('hex'));
  t.strictSame(
    span?.attributes.find((a) => a.key === 'int.beyond53')?.value,
    { intValue: '9007199254740993' },
  );
});

t.test('spans of two resources and two scopes from separate exports are grouped by content, to the byte', async (t) => {
  const traceId = newTraceId();
  const start = nanos(new Date(now.getTime() - 200_000));
  const resources = [
    { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }, { key: 'host.name', value: { stringValue: 'a' } }], droppedAttributesCount: 0 },
    { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }], droppedAttributesCount: 2 },
  ];
  const scopes = [
    { name: 'http', version: '1.0', attributes: [], droppedAttributesCount: 0 },
    { name: 'db', version: '', attributes: [{ key: 'k', value: { intValue: '7' } }], droppedAttributesCount: 0 },
  ];
  // Span i: resource i % 2, scope (i >> 1) % 2, so both resources have both scopes, interleaved in time.
  // Each export decodes its own copies of the resource and scope objects.
  const spans = Array.from({ length: 8 }, (_, i) =>
    spanRow(siteA, {
      traceId,
      parentSpanId: i === 0 ? null : newSpanId(),
      name: `span ${i}`,
      startTimeUnixNano: start + BigInt(i),
      resource: structuredClone(resources[i % 2]!),
      resourceSchemaUrl: i % 2 === 0 ? 'https://opentelemetry.io/schemas/1.26.0' : '',
      scope: structuredClone(scopes[(i >> 1) % 2]!),
    }),
  );
  await write(siteA, spans.slice(4));
  await write(siteA, spans.slice(0, 4));
  // The same resources and scopes in another site do not leak in.
  await write(siteB, [spanRow(siteB, { traceId, startTimeUnixNano: start, resource: resources[0]!, scope: scopes[0]! })]);

  const trace = (await getTrace(db, siteA, traceId.toString('hex')))?.trace;
  const expected = {
    resourceSpans: [
      {
        resource: resources[0]!,
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeSpans: [
          { scope: scopes[0]!, schemaUrl: '', spans: [spanJson(spans[0]!), spanJson(spans[4]!)] },
          { scope: scopes[1]!, schemaUrl: '', spans: [spanJson(spans[2]!), spanJson(spans[6]!)] },
        ],
      },
      {
        resource: resources[1]!,
        schemaUrl: '',
        scopeSpans: [
          { scope: scopes[0]!, schemaUrl: '', spans: [spanJson(spans[1]!), spanJson(spans[5]!)] },
          { scope: scopes[1]!, schemaUrl: '', spans: [spanJson(spans[3]!), spanJson(spans[7]!)] },
        ],
      },
    ],
  };
  t.strictSame(trace, expected);
  t.equal(JSON.stringify(trace), JSON.stringify(expected), 'the same JSON text, key order included');
});

t.test('a trace is visible to its own site only', async (t) => {
  const { traceId, rows } = awkwardTrace(siteA, new Date(now.getTime() - 300_000));
  await write(siteA, rows);
  t.not(await getTrace(db, siteA, traceId.toString('hex')), null);
  t.equal(await getTrace(db, siteB, traceId.toString('hex')), null);
});

t.test('unknown and malformed trace IDs give null', async (t) => {
  t.equal(await getTrace(db, siteA, newTraceId().toString('hex')), null);
  t.equal(await getTrace(db, siteA, 'not-hex'), null);
  t.equal(await getTrace(db, siteA, '00'), null);
});

t.test('a trace that crosses midnight UTC comes back whole', async (t) => {
  const midnight = new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000);
  const traceId = newTraceId();
  const rootId = newSpanId();
  const root = spanRow(siteA, { traceId, spanId: rootId, startTimeUnixNano: nanos(midnight) - 2n * SECOND, endTimeUnixNano: nanos(midnight) + 5n * SECOND });
  const late = spanRow(siteA, { traceId, parentSpanId: rootId, name: 'after midnight', startTimeUnixNano: nanos(midnight) + SECOND, endTimeUnixNano: nanos(midnight) + 2n * SECOND });
  await write(siteA, [late, root]);
  const trace = (await getTrace(db, siteA, traceId.toString('hex')))?.trace;
  t.strictSame(trace?.resourceSpans[0]?.scopeSpans[0]?.spans, [spanJson(root), spanJson(late)]);
});

t.test('spans are ordered by start time, then span ID', async (t) => {
  const traceId = newTraceId();
  const start = nanos(new Date(now.getTime() - 120_000));
  const a = spanRow(siteA, { traceId, spanId: Buffer.from('0000000000000002', 'hex'), startTimeUnixNano: start + 1n });
  const b = spanRow(siteA, { traceId, spanId: Buffer.from('0000000000000001', 'hex'), startTimeUnixNano: start + 1n });
  const c = spanRow(siteA, { traceId, spanId: Buffer.from('ff00000000000000', 'hex'), startTimeUnixNano: start });
  await write(siteA, [a, b, c]);
  const spans = (await getTrace(db, siteA, traceId.toString('hex')))?.trace.resourceSpans[0]?.scopeSpans[0]?.spans;
  t.strictSame(spans?.map((s) => s.spanId), ['ff00000000000000', '0000000000000001', '0000000000000002']);
});

t.test('a trace over the limit comes back as its earliest spans, each once, with the distinct total', async (t) => {
  const traceId = newTraceId();
  const start = nanos(new Date(now.getTime() - 100_000));
  // Start times in reverse order of writing, so the earliest are not the first stored.
  const rows = Array.from({ length: 25 }, (_, i) => spanRow(siteA, { traceId, name: `span ${i}`, startTimeUnixNano: start + BigInt(25 - i) * SECOND }));
  await write(siteA, rows);
  await write(siteA, rows.slice(0, 20)); // a retried export: stored twice
  const earliest = [...rows].reverse().slice(0, 10).map((row) => row.spanId.toString('hex'));

  const cut = await getTrace(db, siteA, traceId.toString('hex'), { limit: 10 });
  t.equal(cut?.spanCount, 25);
  t.equal(cut?.returnedSpanCount, 10);
  t.strictSame(cut?.trace.resourceSpans[0]?.scopeSpans[0]?.spans.map((s) => s.spanId), earliest);

  const whole = await getTrace(db, siteA, traceId.toString('hex'), { limit: 25 });
  t.equal(whole?.spanCount, 25);
  t.equal(whole?.returnedSpanCount, 25);
  t.equal(whole?.trace.resourceSpans[0]?.scopeSpans[0]?.spans.length, 25);
  await t.rejects(getTrace(db, siteA, traceId.toString('hex'), { limit: 0 }), RangeError);
});

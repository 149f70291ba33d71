// Covers getTrace over a real database: spans written by the PostgresSink come
// back as OTLP/JSON field for field (awkward values included), grouped by
// resource and scope, de-duplicated, across midnight, and only for their site.
import t from 'tap';
import { getTrace } from '../src/query/traces.ts';
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

  const trace = await getTrace(db, siteA, traceId.toString('hex'));
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
  const trace = await getTrace(db, siteA, traceId.toString('hex'));
  t.strictSame(trace?.resourceSpans[0]?.scopeSpans[0]?.spans, [spanJson(root), spanJson(late)]);
});

t.test('spans are ordered by start time, then span ID', async (t) => {
  const traceId = newTraceId();
  const start = nanos(new Date(now.getTime() - 120_000));
  const a = spanRow(siteA, { traceId, spanId: Buffer.from('0000000000000002', 'hex'), startTimeUnixNano: start + 1n });
  const b = spanRow(siteA, { traceId, spanId: Buffer.from('0000000000000001', 'hex'), startTimeUnixNano: start + 1n });
  const c = spanRow(siteA, { traceId, spanId: Buffer.from('ff00000000000000', 'hex'), startTimeUnixNano: start });
  await write(siteA, [a, b, c]);
  const spans = (await getTrace(db, siteA, traceId.toString('hex')))?.resourceSpans[0]?.scopeSpans[0]?.spans;
  t.strictSame(spans?.map((s) => s.spanId), ['ff00000000000000', '0000000000000001', '0000000000000002']);
});

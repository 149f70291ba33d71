// The service map's trace set (not a test file itself): frontend calls orders
// over HTTP and api.stripe.com (no server span); orders queries PostgreSQL and
// Redis and publishes to Kafka, which shipping consumes: as a child of the
// producer span in two traces, through a span link from a trace of its own in
// the third. Plus the same spans as OTLP/JSON requests for the server tests.
import type { KeyValueJson, SpanRow } from '@justanalytics/collector';
import { MS, newSpanId, newTraceId, spanRow } from './query-fixtures.ts';

const str = (key: string, value: string): KeyValueJson => ({ key, value: { stringValue: value } });

export const TRACE_COUNT = 3;

/** The trace set's spans, trace i starting i seconds after `start`. */
export function threeServiceSpans(siteId: string, start: bigint): SpanRow[] {
  const rows: SpanRow[] = [];
  for (let i = 0; i < TRACE_COUNT; i++) {
    const t0 = start + BigInt(i) * 1_000n * MS;
    const traceId = newTraceId();
    const span = (overrides: Partial<SpanRow> & { startTimeUnixNano: bigint; durationMs: number }): SpanRow => {
      const { durationMs, ...rest } = overrides;
      return spanRow(siteId, { traceId, ...rest, endTimeUnixNano: rest.startTimeUnixNano + BigInt(durationMs) * MS });
    };
    const root = span({ serviceName: 'frontend', name: 'GET /checkout', kind: 2, startTimeUnixNano: t0, durationMs: 200 });
    const toOrders = span({
      serviceName: 'frontend', name: 'POST', kind: 3, parentSpanId: root.spanId, startTimeUnixNano: t0 + MS, durationMs: 100,
      attributes: [str('http.request.method', 'POST'), str('server.address', 'orders.internal'), str('url.full', 'http://orders.internal/orders')],
    });
    // Trace 1's order fails on the server side.
    const orders = span({
      serviceName: 'orders', name: 'POST /orders', kind: 2, parentSpanId: toOrders.spanId, startTimeUnixNano: t0 + 2n * MS,
      durationMs: 10 * (i + 1), statusCode: i === 1 ? 2 : 0, attributes: [str('http.request.method', 'POST')],
    });
    const query = span({
      serviceName: 'orders', name: 'INSERT orders', kind: 3, parentSpanId: orders.spanId, startTimeUnixNano: t0 + 3n * MS, durationMs: 2,
      attributes: [str('db.system.name', 'postgresql'), str('server.address', 'db.internal'), str('db.query.text', 'INSERT …')],
    });
    const cache = span({
      serviceName: 'orders', name: 'SET', kind: 3, parentSpanId: orders.spanId, startTimeUnixNano: t0 + 4n * MS, durationMs: 1,
      attributes: [str('db.system', 'redis'), str('net.peer.name', 'cache.internal')],
    });
    const publish = span({
      serviceName: 'orders', name: 'orders publish', kind: 4, parentSpanId: orders.spanId, startTimeUnixNano: t0 + 5n * MS, durationMs: 1,
      attributes: [str('messaging.system', 'kafka'), str('messaging.destination.name', 'orders')],
    });
    // Trace 0's charge fails on the client side (no server span to say so).
    const charge = span({
      serviceName: 'frontend', name: 'POST', kind: 3, parentSpanId: root.spanId, startTimeUnixNano: t0 + 120n * MS, durationMs: 50,
      statusCode: i === 0 ? 2 : 0, attributes: [str('url.full', 'https://API.stripe.com:443/v1/charges?x=1')],
    });
    const consumerBase = { serviceName: 'shipping', name: 'orders process', kind: 5, startTimeUnixNano: t0 + 30n * MS, durationMs: 7 * (i + 1) };
    const consume =
      i === 2
        ? spanRow(siteId, {
            ...consumerBase, endTimeUnixNano: consumerBase.startTimeUnixNano + BigInt(consumerBase.durationMs) * MS,
            traceId: newTraceId(), spanId: newSpanId(),
            links: [{ traceId: traceId.toString('hex'), spanId: publish.spanId.toString('hex'), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }],
          })
        : span({ ...consumerBase, parentSpanId: publish.spanId });
    // Inside shipping: not an edge.
    const internal = span({ serviceName: 'shipping', name: 'pack', kind: 1, parentSpanId: consume.spanId, startTimeUnixNano: t0 + 31n * MS, durationMs: 1 });
    rows.push(root, toOrders, orders, query, cache, publish, charge, consume, internal);
  }
  return rows;
}

/** The edges of TRACE_COUNT traces of threeServiceSpans, as serviceMapEdges orders them (source, target, connection). */
export const expectedEdges = [
  { source: 'frontend', target: 'api.stripe.com', targetType: 'external', connectionType: 'http', callCount: 3, errorCount: 1, p50: 50, p95: 50, p99: 50 },
  { source: 'frontend', target: 'orders', targetType: 'service', connectionType: 'http', callCount: 3, errorCount: 1, p50: 20, p95: 29, p99: 29.8 },
  { source: 'orders', target: 'postgresql', targetType: 'database', connectionType: 'database', callCount: 3, errorCount: 0, p50: 2, p95: 2, p99: 2 },
  { source: 'orders', target: 'redis', targetType: 'cache', connectionType: 'database', callCount: 3, errorCount: 0, p50: 1, p95: 1, p99: 1 },
  { source: 'orders', target: 'shipping', targetType: 'service', connectionType: 'messaging', callCount: 3, errorCount: 0, p50: 14, p95: 20.3, p99: 20.86 },
];

/** OTLP/JSON ExportTraceServiceRequest bodies of `rows`, one resource per service. */
export function otlpJsonBody(rows: readonly SpanRow[]): string {
  const byService = new Map<string, SpanRow[]>();
  for (const row of rows) byService.set(row.serviceName, [...(byService.get(row.serviceName) ?? []), row]);
  return JSON.stringify({
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [str('service.name', service)] },
      scopeSpans: [
        {
          scope: { name: 'service-map-test' },
          spans: spans.map((row) => ({
            traceId: row.traceId.toString('hex'),
            spanId: row.spanId.toString('hex'),
            ...(row.parentSpanId === null ? {} : { parentSpanId: row.parentSpanId.toString('hex') }),
            name: row.name,
            kind: row.kind,
            startTimeUnixNano: row.startTimeUnixNano.toString(),
            endTimeUnixNano: row.endTimeUnixNano.toString(),
            attributes: row.attributes,
            links: row.links.map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
            status: { code: row.statusCode },
          })),
        },
      ],
    })),
  });
}

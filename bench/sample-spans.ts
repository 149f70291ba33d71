// The workload the benchmarks share (not a benchmark itself): a realistic
// protobuf ExportTraceServiceRequest of HTTP server spans under one resource
// and scope, in traces of 8 spans, 10 attributes on every span, one event on
// every trace's root, and an error now and then.
import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '@justanalytics/proto';

const spansPerTrace = 8;

export function sampleTraceRequest(spanCount: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceIds = Array.from({ length: Math.ceil(spanCount / spansPerTrace) }, () => randomBytes(16));
  const spans = Array.from({ length: spanCount }, (_, i) => {
    const root = i % spansPerTrace === 0;
    return {
      traceId: traceIds[Math.floor(i / spansPerTrace)],
      spanId: randomBytes(8),
      parentSpanId: root ? undefined : randomBytes(8),
      name: `GET /api/items/{id}#${i % 20}`,
      kind: 2,
      startTimeUnixNano: (now - 3_000_000n).toString(),
      endTimeUnixNano: now.toString(),
      attributes: [
        { key: 'http.request.method', value: { stringValue: 'GET' } },
        { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
        { key: 'http.response.status_code', value: { intValue: 200 } },
        { key: 'url.path', value: { stringValue: `/api/items/${i}` } },
        { key: 'server.address', value: { stringValue: 'shop.internal' } },
        { key: 'network.peer.port', value: { intValue: 40000 + i } },
        { key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36' } },
        { key: 'retry', value: { boolValue: false } },
        { key: 'ratio', value: { doubleValue: i / 7 } },
        { key: 'tenant', value: { stringValue: 'acme' } },
      ],
      events: root ? [{ timeUnixNano: now.toString(), name: 'cache.miss', attributes: [{ key: 'cache.key', value: { stringValue: `item:${i}` } }] }] : [],
      status: { code: i % 50 === 0 ? 2 : 0 },
    };
  });
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'shop-api' } },
            { key: 'service.version', value: { stringValue: '1.4.2' } },
            { key: 'host.name', value: { stringValue: 'bench-host' } },
          ],
        },
        scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.201.0' }, spans }],
      },
    ],
  });
  return Buffer.from(ExportTraceServiceRequest.encode(message).finish());
}

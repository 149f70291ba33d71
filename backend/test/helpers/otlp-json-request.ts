import { randomBytes } from 'node:crypto';

export interface GeneratedSpan {
  traceId: string;
  spanId: string;
}

/** An OTLP/JSON ExportTraceServiceRequest of `count` root spans of fresh traces, started now. */
export function otlpJsonTraces(count: number, service = 'load'): { body: string; spans: GeneratedSpan[] } {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: `op-${i % 7}`,
    kind: 2,
    startTimeUnixNano: (now - 5_000_000n).toString(),
    endTimeUnixNano: now.toString(),
    attributes: [
      { key: 'http.route', value: { stringValue: `/items/${i % 13}` } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
      { key: 'sequence', value: { intValue: String(i) } },
    ],
    status: {},
  }));
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'load-generator' }, spans }],
      },
    ],
  });
  return { body, spans: spans.map(({ traceId, spanId }) => ({ traceId, spanId })) };
}

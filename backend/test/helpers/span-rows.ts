import { randomBytes } from 'node:crypto';
import type { SpanRow } from '@justanalytics/collector';

/** Nanoseconds since the epoch of an ISO time, plus extra nanoseconds below the millisecond. */
export function nanosAt(iso: string, extraNanos = 0n): bigint {
  return BigInt(Date.parse(iso)) * 1_000_000n + extraNanos;
}

export function randomTraceId(): Buffer {
  return randomBytes(16);
}

/** A complete span row with random IDs, starting now (or at the given times), for store tests. */
export function makeSpanRow(overrides: Partial<SpanRow> = {}): SpanRow {
  const start = overrides.startTimeUnixNano ?? BigInt(Date.now()) * 1_000_000n + 123_456n;
  return {
    siteId: '1',
    traceId: randomTraceId(),
    spanId: randomBytes(8),
    parentSpanId: randomBytes(8),
    traceState: '',
    flags: 1,
    name: 'GET /things',
    kind: 2,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_500_000n,
    statusCode: 0,
    statusMessage: '',
    serviceName: 'checkout',
    httpRoute: '/things',
    httpStatusCode: 200,
    attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }], droppedAttributesCount: 0 },
    resourceSchemaUrl: '',
    scope: { name: 'test', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: '',
    ...overrides,
  };
}

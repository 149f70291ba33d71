// Span rows and expected OTLP/JSON for the query and API tests (not a test file itself).
import { randomBytes } from 'node:crypto';
import type { AnyValueJson, SpanRow } from '@justanalytics/collector';
import type { SpanJson } from '../../src/query/traces/traces.ts';

export const MS = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

/** Nanoseconds since the epoch of a Date, plus extra nanoseconds. */
export function nanos(time: Date, extraNs = 0n): bigint {
  return BigInt(time.getTime()) * MS + extraNs;
}

export function newTraceId(): Buffer {
  return randomBytes(16);
}

export function newSpanId(): Buffer {
  return randomBytes(8);
}

export function resourceOf(serviceName: string): SpanRow['resource'] {
  return { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }], droppedAttributesCount: 0 };
}

/** A plain server span; override what the test is about. */
export function spanRow(siteId: string, overrides: Partial<SpanRow> & { startTimeUnixNano: bigint }): SpanRow {
  const serviceName = overrides.serviceName ?? 'checkout';
  return {
    siteId,
    traceId: newTraceId(),
    spanId: newSpanId(),
    parentSpanId: null,
    traceState: '',
    flags: 1,
    name: 'GET /cart',
    kind: 2,
    endTimeUnixNano: overrides.startTimeUnixNano + 10n * MS,
    statusCode: 0,
    statusMessage: '',
    serviceName,
    httpRoute: null,
    httpStatusCode: null,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resource: resourceOf(serviceName),
    resourceSchemaUrl: '',
    scope: { name: 'test-scope', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: '',
    ...overrides,
  };
}

/** The OTLP/JSON span a row must come back as, written independently of the code under test. */
export function spanJson(row: SpanRow): SpanJson {
  const span: SpanJson = {
    traceId: row.traceId.toString('hex'),
    spanId: row.spanId.toString('hex'),
    traceState: row.traceState,
    flags: row.flags,
    name: row.name,
    kind: row.kind,
    startTimeUnixNano: row.startTimeUnixNano.toString(),
    endTimeUnixNano: row.endTimeUnixNano.toString(),
    attributes: row.attributes,
    droppedAttributesCount: row.droppedAttributesCount,
    events: row.events,
    droppedEventsCount: row.droppedEventsCount,
    links: row.links,
    droppedLinksCount: row.droppedLinksCount,
    status: { code: row.statusCode, message: row.statusMessage },
  };
  if (row.parentSpanId !== null) span.parentSpanId = row.parentSpanId.toString('hex');
  return span;
}

/**
 * One trace with every awkward value OTLP allows: int64 extremes, NaN and
 * infinite doubles, bytes, nested arrays and key-value lists, empty values,
 * events, links, trace state, flags above the low byte, dropped counts, error
 * status, two resources (one with two scopes) with schema URLs, and times
 * beyond 2^53 to the nanosecond.
 */
export function awkwardTrace(siteId: string, start: Date): { traceId: Buffer; rows: SpanRow[] } {
  const traceId = newTraceId();
  const t0 = nanos(start, 123_456_789n);
  const rootId = newSpanId();
  const gatewayResource: SpanRow['resource'] = {
    attributes: [
      { key: 'service.name', value: { stringValue: 'gateway' } },
      { key: 'host.id', value: { bytesValue: Buffer.from([0, 1, 254, 255]).toString('base64') } },
      { key: 'process.pid', value: { intValue: '4242' } },
    ],
    droppedAttributesCount: 3,
  };
  const nested: AnyValueJson = {
    kvlistValue: {
      values: [
        { key: 'inner', value: { arrayValue: { values: [{ intValue: '1' }, { kvlistValue: { values: [{ key: 'deep', value: { boolValue: false } }] } }] } } },
        { key: 'empty', value: {} },
      ],
    },
  };
  const root = spanRow(siteId, {
    traceId,
    spanId: rootId,
    serviceName: 'gateway',
    name: 'POST /checkout',
    kind: 2,
    traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    flags: 0x301,
    startTimeUnixNano: t0,
    endTimeUnixNano: t0 + 1_234_567_891n,
    statusCode: 2,
    statusMessage: 'payment declined: ünïcødé ✓',
    httpRoute: '/checkout',
    httpStatusCode: 502,
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'POST' } },
      { key: 'int.max', value: { intValue: '9223372036854775807' } },
      { key: 'int.min', value: { intValue: '-9223372036854775808' } },
      { key: 'int.beyond53', value: { intValue: '9007199254740993' } },
      { key: 'double.pi', value: { doubleValue: 3.141592653589793 } },
      { key: 'double.tiny', value: { doubleValue: 5e-324 } },
      { key: 'double.nan', value: { doubleValue: 'NaN' } },
      { key: 'double.inf', value: { doubleValue: 'Infinity' } },
      { key: 'double.neginf', value: { doubleValue: '-Infinity' } },
      { key: 'flag', value: { boolValue: true } },
      { key: 'bytes', value: { bytesValue: Buffer.from('\u0000\u00ffbinary').toString('base64') } },
      { key: 'array', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }, { doubleValue: 2.5 }, { boolValue: false }, {}] } } },
      { key: 'nested', value: nested },
      { key: 'empty.string', value: { stringValue: '' } },
    ],
    droppedAttributesCount: 7,
    events: [
      {
        timeUnixNano: (t0 + 5n).toString(),
        name: 'exception',
        attributes: [
          { key: 'exception.type', value: { stringValue: 'PaymentError' } },
          { key: 'exception.stacktrace', value: { stringValue: 'line 1\nline 2\t"quoted"' } },
        ],
        droppedAttributesCount: 1,
      },
      { timeUnixNano: (t0 + 1_000_000_007n).toString(), name: 'retry', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 2,
    links: [
      {
        traceId: newTraceId().toString('hex'),
        spanId: newSpanId().toString('hex'),
        traceState: 'vendor=value',
        attributes: [{ key: 'link.kind', value: { stringValue: 'follows' } }],
        droppedAttributesCount: 4,
        flags: 0x101,
      },
    ],
    droppedLinksCount: 5,
    resource: gatewayResource,
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: {
      name: '@opentelemetry/instrumentation-http',
      version: '0.301.0',
      attributes: [{ key: 'scope.attr', value: { intValue: '-1' } }],
      droppedAttributesCount: 6,
    },
    scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
  });
  // Same resource, another scope.
  const internal = spanRow(siteId, {
    traceId,
    parentSpanId: rootId,
    serviceName: 'gateway',
    name: 'validate',
    kind: 1,
    startTimeUnixNano: t0 + 1000n,
    endTimeUnixNano: t0 + 2001n,
    statusCode: 1,
    resource: gatewayResource,
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: { name: 'manual', version: '', attributes: [], droppedAttributesCount: 0 },
  });
  // Another resource: a downstream service called by the root.
  const client = spanRow(siteId, {
    traceId,
    parentSpanId: rootId,
    serviceName: 'payments',
    name: 'charge',
    kind: 3,
    flags: 0,
    startTimeUnixNano: t0 + 5000n,
    endTimeUnixNano: t0 + 1_000_000_000n,
    statusCode: 2,
    statusMessage: 'declined',
    attributes: [{ key: 'amount', value: { doubleValue: 12.5 } }],
    resource: { attributes: [{ key: 'service.name', value: { stringValue: 'payments' } }], droppedAttributesCount: 0 },
    resourceSchemaUrl: '',
    scope: { name: 'payments-sdk', version: '2.0.0', attributes: [], droppedAttributesCount: 0 },
    scopeSchemaUrl: '',
  });
  return { traceId, rows: [root, internal, client] };
}

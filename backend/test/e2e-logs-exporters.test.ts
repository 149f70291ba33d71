// End to end with the real OpenTelemetry JS log exporters: records emitted
// through the SDK's LoggerProvider and sent over OTLP/HTTP JSON, OTLP/HTTP
// protobuf and OTLP/gRPC to a whole server are stored whole. String and
// structured bodies, every severity, attributes of every type, records inside
// a span. Read back field by field twice: with SQL from the logs table (and
// its resource_scopes row, and search_text, which no API returns), and through
// the query API (GET /api/v1/logs, GET /api/v1/traces/{traceId}/logs).
import { ROOT_CONTEXT, SeverityNumber, trace, type AnyValue, type HrTime } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import t from 'tap';
import { foldSearchText } from '../src/db/search-text.ts';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from '../../collector/test/helpers/exporter-options.ts';
import { startTestServer } from './helpers/test-server.ts';

const t0 = BigInt(Math.floor(Date.now() / 1000) - 60);
const hr = (seconds: bigint, nanos: number): HrTime => [Number(t0 + seconds), nanos];

interface Transport {
  name: string;
  exporter(server: { otlpHttpUrl: string; otlpGrpcUrl: string; ingestKey: string }): LogRecordExporter;
}

const transports: Transport[] = [
  {
    name: 'OTLP/HTTP JSON',
    exporter: (s) => new HttpJsonExporter(otlpHttpExporterOptions(`${s.otlpHttpUrl}/v1/logs`, s.ingestKey)),
  },
  {
    name: 'OTLP/HTTP protobuf, gzip',
    exporter: (s) => new HttpProtoExporter(otlpHttpExporterOptions(`${s.otlpHttpUrl}/v1/logs`, s.ingestKey, { gzip: true })),
  },
  { name: 'OTLP/gRPC, gzip', exporter: (s) => new GrpcExporter(otlpGrpcExporterOptions(s.otlpGrpcUrl, s.ingestKey)) },
];

const structuredBody = {
  message: 'payment declined',
  amount: 1999,
  ratio: 0.5,
  retried: false,
  items: ['book', 7, { sku: 'B-1' }],
  raw: new Uint8Array([0, 1, 2, 255]),
  nothing: null,
};

const everyAttributeType = {
  'text': 'héllo ✓ 😀\ttab',
  'int': 42,
  'negative': -9007199254740991,
  'double': 0.25,
  'bool': true,
  'strings': ['a', 'b', ''],
  'ints': [1, 2, 3],
  'doubles': [1.5, -2.25],
  'bools': [true, false],
  // Log attributes may hold any AnyValue, not only what a span attribute can.
  'bytes': new Uint8Array([9, 8, 7]),
  'map': { inner: 'Ä value', depth: { n: 1 } },
} as unknown as Record<string, string>;

interface StoredLog {
  time_ns: string;
  time_unix_nano: string;
  observed_time_unix_nano: string;
  severity_number: number;
  severity_text: string;
  body: unknown;
  attributes: unknown;
  dropped_attributes_count: string;
  flags: string;
  trace_id: string | null;
  span_id: string | null;
  event_name: string;
  service_name: string;
  search_text: string;
  resource: unknown;
  resource_schema_url: string;
  scope: unknown;
  scope_schema_url: string;
}

t.test('log records from the real exporters are stored whole', async (t) => {
  const server = await startTestServer(t);
  const client = new pg.Client({ connectionString: server.databaseUrl });
  await client.connect();
  t.teardown(() => client.end());
  const tracing = new TracerProvider();
  t.teardown(() => tracing.shutdown());
  const tracer = tracing.getTracer('e2e');

  for (const transport of transports) {
    await t.test(transport.name, async (t) => {
      const service = `payments-${transport.name}`;
      const recorded = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'host.cores': 2 }),
        processors: [new SimpleLogRecordProcessor({ exporter: transport.exporter(server) }), new SimpleLogRecordProcessor({ exporter: recorded })],
      });
      const logger = provider.getLogger('e2e-logger', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });

      // Every severity, each at a time of its own so records are told apart by it.
      for (let severity = SeverityNumber.UNSPECIFIED; severity <= SeverityNumber.FATAL4; severity++) {
        logger.emit({
          timestamp: hr(0n, severity * 1_000_001),
          observedTimestamp: hr(1n, severity),
          severityNumber: severity,
          severityText: SeverityNumber[severity],
          body: `record at severity ${severity}: ÄRGER`,
          attributes: { 'severity.index': severity },
        });
      }
      logger.emit({ timestamp: hr(2n, 1), severityNumber: SeverityNumber.ERROR, body: structuredBody as AnyValue, eventName: 'payment.declined' });
      logger.emit({ timestamp: hr(2n, 2), severityNumber: SeverityNumber.INFO, body: 'every attribute type', attributes: everyAttributeType });
      logger.emit({ timestamp: hr(2n, 3), body: new Uint8Array([1, 2, 3]) as AnyValue });
      logger.emit({ timestamp: hr(2n, 4) }); // no body, no severity
      const span = tracer.startSpan('charge');
      logger.emit({ timestamp: hr(2n, 5), severityNumber: SeverityNumber.WARN, body: 'inside a span', context: trace.setSpan(ROOT_CONTEXT, span) });
      span.end();

      await provider.forceFlush();
      const sent = recorded.getFinishedLogRecords(); // before shutdown, which empties the recorder
      await provider.shutdown();
      t.equal(sent.length, 30);

      const { rows } = await client.query<StoredLog>(
        `SELECT l.time_ns, l.time_unix_nano, l.observed_time_unix_nano, l.severity_number, l.severity_text, l.body,
           l.attributes, l.dropped_attributes_count, l.flags, encode(l.trace_id, 'hex') AS trace_id,
           encode(l.span_id, 'hex') AS span_id, l.event_name, l.service_name, l.search_text,
           rs.resource, rs.resource_schema_url, rs.scope, rs.scope_schema_url
         FROM logs l
         JOIN resource_scopes rs ON rs.site_id = l.site_id AND rs.id = l.resource_scope_id AND rs.day = date_trunc('day', l.time, 'UTC')
         WHERE l.site_id = $1 AND l.service_name = $2 ORDER BY l.time_ns`,
        [server.siteId, service],
      );
      t.equal(rows.length, sent.length, 'every record once, each joining its resource and scope');
      const expected = sent.map(expectedRow).sort((a, b) => (BigInt(a.time_ns) < BigInt(b.time_ns) ? -1 : 1));
      for (let i = 0; i < expected.length; i++) {
        t.same(rows[i], expected[i], `record ${i}: every field`);
      }
      const inSpan = rows.find((row) => row.trace_id !== null);
      t.equal(inSpan?.trace_id, span.spanContext().traceId, 'the active span names the trace');
      t.equal(inSpan?.span_id, span.spanContext().spanId);

      // The same records through the query API, newest first, as OTLP/JSON LogsData.
      const search = await server.api(`/api/v1/logs?service=${encodeURIComponent(service)}&limit=100`);
      t.equal(search.status, 200);
      const page = search.body as LogsPage;
      t.equal(page.nextCursor, null, 'one page holds them all');
      t.equal(page.resourceLogs.length, 1, 'one resource');
      const resourceLogs = page.resourceLogs[0]!;
      t.same(resourceLogs.resource, expected[0]!.resource, 'resource');
      t.equal(resourceLogs.schemaUrl, '');
      t.equal(resourceLogs.scopeLogs.length, 1, 'one scope');
      t.same(resourceLogs.scopeLogs[0]!.scope, expected[0]!.scope, 'scope');
      t.equal(resourceLogs.scopeLogs[0]!.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
      t.same(resourceLogs.scopeLogs[0]!.logRecords, expected.map(expectedJson).reverse(), 'every record field by field, newest first');

      const found = await server.api(`/api/v1/logs?service=${encodeURIComponent(service)}&q=${encodeURIComponent('ärger')}&limit=100`);
      t.equal(recordsOf(found.body).length, 25, 'a folded search finds "ÄRGER" by "ärger"');

      const traceLogs = await server.api(`/api/v1/traces/${span.spanContext().traceId}/logs`);
      t.equal(traceLogs.status, 200);
      t.same(recordsOf(traceLogs.body), [expectedJson(expected.find((row) => row.trace_id !== null)!)], "the trace's logs");
    });
  }
});

interface LogsPage {
  resourceLogs: Array<{ resource: unknown; schemaUrl: string; scopeLogs: Array<{ scope: unknown; schemaUrl: string; logRecords: unknown[] }> }>;
  nextCursor: string | null;
}

function recordsOf(body: unknown): unknown[] {
  return (body as LogsPage).resourceLogs.flatMap((resource) => resource.scopeLogs.flatMap((scope) => scope.logRecords));
}

/** The OTLP/JSON LogRecord the API must answer for a stored row: IDs omitted when absent, as proto3 JSON does. */
function expectedJson(row: StoredLog): Record<string, unknown> {
  return {
    timeUnixNano: row.time_unix_nano,
    observedTimeUnixNano: row.observed_time_unix_nano,
    severityNumber: row.severity_number,
    severityText: row.severity_text,
    body: row.body,
    attributes: row.attributes,
    droppedAttributesCount: Number(row.dropped_attributes_count),
    flags: Number(row.flags),
    eventName: row.event_name,
    ...(row.trace_id === null ? {} : { traceId: row.trace_id }),
    ...(row.span_id === null ? {} : { spanId: row.span_id }),
  };
}

/** What the logs row of a record emitted through the SDK must hold, written independently of the server's code. */
function expectedRow(record: ReadableLogRecord): StoredLog {
  const spanContext = record.spanContext;
  const time = nanos(record.hrTime);
  const body = record.body === undefined ? {} : anyValue(record.body);
  const attributes = keyValues(record.attributes as Record<string, unknown>);
  return {
    time_ns: time,
    time_unix_nano: time,
    observed_time_unix_nano: nanos(record.hrTimeObserved),
    severity_number: record.severityNumber ?? 0,
    severity_text: record.severityText ?? '',
    body,
    attributes,
    dropped_attributes_count: String(record.droppedAttributesCount),
    flags: String(spanContext?.traceFlags ?? 0),
    trace_id: spanContext?.traceId ?? null,
    span_id: spanContext?.spanId ?? null,
    event_name: record.eventName ?? '',
    service_name: String(record.resource.attributes['service.name']),
    search_text: foldSearchText([...strings(body), ...attributes.flatMap((kv) => strings(kv.value))].join('\n')),
    resource: { attributes: keyValues(record.resource.attributes), droppedAttributesCount: 0 },
    resource_schema_url: '',
    scope: { name: 'e2e-logger', version: '1.2.3', attributes: [], droppedAttributesCount: 0 },
    scope_schema_url: 'https://opentelemetry.io/schemas/1.26.0',
  };
}

function nanos([seconds, nanoseconds]: HrTime): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();
}

function keyValues(attributes: Record<string, unknown>): Array<{ key: string; value: unknown }> {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/** OTLP/JSON AnyValue as the backend stores it: 64-bit integers as strings, bytes as base64. */
function anyValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map((v) => anyValue(v)) } };
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
    case 'object':
      if (value === null) return {};
      return { kvlistValue: { values: keyValues(value as Record<string, unknown>) } };
    default:
      return {};
  }
}

function strings(value: unknown): string[] {
  const v = value as { stringValue?: string; arrayValue?: { values: unknown[] }; kvlistValue?: { values: Array<{ value: unknown }> } };
  if (v.stringValue !== undefined) return v.stringValue === '' ? [] : [v.stringValue];
  if (v.arrayValue) return v.arrayValue.values.flatMap(strings);
  if (v.kvlistValue) return v.kvlistValue.values.flatMap((kv) => strings(kv.value));
  return [];
}

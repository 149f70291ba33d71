// Covers the real OpenTelemetry JS log exporters end to end into a
// MemorySink: OTLP/HTTP JSON (exporter-logs-otlp-http), OTLP/HTTP protobuf
// with gzip (exporter-logs-otlp-proto) and OTLP/gRPC with gzip
// (exporter-logs-otlp-grpc), each sending records from an sdk-logs
// LoggerProvider to a createCollector serving [tracesSignal, logsSignal]:
// string and structured bodies (maps, arrays, bytes, integers, doubles), every
// severity, attributes of every type the SDK sends, event names, exact
// nanosecond times, a record emitted inside an active span carrying its trace
// and span IDs and flags, and an exception the SDK spells as exception.*
// attributes, compared field by field.
import { context, SeverityNumber, trace } from '@opentelemetry/api';
import type { HrTime, SpanContext } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as HttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as HttpProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import { StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import type { LogRow } from '../src/signals/logs/log-row.ts';
import { logsSignal } from '../src/signals/logs/logs-signal.ts';
import { tracesSignal } from '../src/signals/traces/traces-signal.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from './helpers/exporter-options.ts';
import { INGEST_KEY, keys, SITE_ID, silentLogger } from './helpers/fixtures.ts';

const TIME: HrTime = [1700000000, 123456789];
const OBSERVED: HrTime = [1700000000, 987654321];

type ExporterFactory = (ports: { httpPort: number; grpcPort: number }, key: string) => LogRecordExporter;

const exporters: [string, ExporterFactory][] = [
  ['exporter-logs-otlp-http (JSON)', ({ httpPort }, key) => new HttpJsonExporter(otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/logs`, key))],
  [
    'exporter-logs-otlp-proto (protobuf, gzip)',
    ({ httpPort }, key) => new HttpProtoExporter(otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/logs`, key, { gzip: true })),
  ],
  ['exporter-logs-otlp-grpc (gzip)', ({ grpcPort }, key) => new GrpcExporter(otlpGrpcExporterOptions(`http://127.0.0.1:${grpcPort}`, key))],
];

// context.with needs a context manager; the synchronous one of sdk-trace
// serves a record emitted synchronously inside the callback.
context.setGlobalContextManager(new StackContextManager().enable());
t.teardown(() => context.disable());

const SEVERITIES = Object.values(SeverityNumber).filter((value): value is SeverityNumber => typeof value === 'number');

async function sendLogs(exporter: LogRecordExporter): Promise<SpanContext> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'log-exporter-test', 'host.cpu.count': 8 }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('log-test-scope', '3.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });

  logger.emit({
    timestamp: TIME,
    observedTimestamp: OBSERVED,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'user signed in ü',
    eventName: 'user.sign_in',
    attributes: {
      'str': 'value ü',
      'bool': false,
      'int': 9007199254740991,
      'negative': -42,
      'double': 0.1,
      'strings': ['a', 'b'],
      'ints': [1, 2, 3],
      'doubles': [1.5, -2.25],
      'bools': [true, false],
    },
  });
  logger.emit({
    timestamp: TIME,
    severityNumber: SeverityNumber.WARN,
    body: { user: { id: 42, roles: ['admin', 'ops'] }, ratio: 0.5, ok: true, raw: new Uint8Array([0, 1, 0xff]), none: null },
  });
  for (const severity of SEVERITIES) logger.emit({ timestamp: TIME, severityNumber: severity, severityText: SeverityNumber[severity], body: `severity ${severity}` });

  const tracerProvider = new TracerProvider();
  const span = tracerProvider.getTracer('t').startSpan('GET /orders/:id');
  context.with(trace.setSpan(context.active(), span), () => {
    logger.emit({ timestamp: TIME, severityNumber: SeverityNumber.ERROR, body: 'inside a span', exception: new TypeError('x is undefined') });
  });
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
  await tracerProvider.shutdown();
  return span.spanContext();
}

for (const [name, makeExporter] of exporters) {
  t.test(name, async (t) => {
    const sink = new MemorySink();
    const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0, signals: [tracesSignal, logsSignal] });
    const ports = await collector.start();
    t.teardown(() => collector.shutdown());

    const spanContext = await sendLogs(makeExporter(ports, INGEST_KEY));
    const rows = sink.rows('logs');
    t.equal(rows.length, 3 + SEVERITIES.length);
    t.ok(sink.batches.every((batch) => batch.signal === 'logs' && batch.siteId === SITE_ID));
    const byBody = new Map(rows.map((row) => [JSON.stringify(row.body), row]));

    const signIn = byBody.get(JSON.stringify({ stringValue: 'user signed in ü' })) as LogRow;
    t.equal(signIn.timeUnixNano, 1700000000123456789n);
    t.equal(signIn.observedTimeUnixNano, 1700000000987654321n);
    t.equal(signIn.timestampUnixNano, 1700000000123456789n);
    t.equal(signIn.severityNumber, 9);
    t.equal(signIn.severityText, 'INFO');
    t.equal(signIn.eventName, 'user.sign_in');
    t.equal(signIn.traceId, null, 'no active span, no trace');
    t.equal(signIn.spanId, null);
    t.equal(signIn.flags, 0);
    t.equal(signIn.exception, null);
    t.same(signIn.attributes, [
      { key: 'str', value: { stringValue: 'value ü' } },
      { key: 'bool', value: { boolValue: false } },
      { key: 'int', value: { intValue: '9007199254740991' } },
      { key: 'negative', value: { intValue: '-42' } },
      { key: 'double', value: { doubleValue: 0.1 } },
      { key: 'strings', value: { arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } } },
      { key: 'ints', value: { arrayValue: { values: [{ intValue: '1' }, { intValue: '2' }, { intValue: '3' }] } } },
      { key: 'doubles', value: { arrayValue: { values: [{ doubleValue: 1.5 }, { doubleValue: -2.25 }] } } },
      { key: 'bools', value: { arrayValue: { values: [{ boolValue: true }, { boolValue: false }] } } },
    ]);
    t.equal(signIn.droppedAttributesCount, 0);
    t.equal(signIn.serviceName, 'log-exporter-test');
    t.same(signIn.resource.attributes.slice(0, 2), [
      { key: 'service.name', value: { stringValue: 'log-exporter-test' } },
      { key: 'host.cpu.count', value: { intValue: '8' } },
    ]);
    t.same([signIn.scope.name, signIn.scope.version, signIn.scopeSchemaUrl], ['log-test-scope', '3.0.0', 'https://opentelemetry.io/schemas/1.26.0']);

    const structured = rows.find((row) => row.severityNumber === SeverityNumber.WARN && row.body !== null && 'kvlistValue' in row.body) as LogRow;
    t.same(structured.body, {
      kvlistValue: {
        values: [
          { key: 'user', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: '42' } }, { key: 'roles', value: { arrayValue: { values: [{ stringValue: 'admin' }, { stringValue: 'ops' }] } } }] } } },
          { key: 'ratio', value: { doubleValue: 0.5 } },
          { key: 'ok', value: { boolValue: true } },
          { key: 'raw', value: { bytesValue: Buffer.from([0, 1, 0xff]).toString('base64') } },
          { key: 'none', value: {} },
        ],
      },
    });
    t.ok(structured.observedTimeUnixNano > 0n, 'the SDK sets the observed time');

    for (const severity of SEVERITIES) {
      const row = byBody.get(JSON.stringify({ stringValue: `severity ${severity}` }));
      t.same([row?.severityNumber, row?.severityText], [severity, SeverityNumber[severity]], `severity ${severity}`);
    }

    const inSpan = byBody.get(JSON.stringify({ stringValue: 'inside a span' })) as LogRow;
    t.equal(inSpan.traceId?.toString('hex'), spanContext.traceId, 'the active span’s trace');
    t.equal(inSpan.spanId?.toString('hex'), spanContext.spanId, 'the active span');
    t.equal(inSpan.flags & 0xff, 1, 'sampled');
    t.equal(inSpan.exception?.type, 'TypeError');
    t.equal(inSpan.exception?.message, 'x is undefined');
    t.match(inSpan.exception?.stacktrace, /^TypeError: x is undefined\n\s+at /);
  });
}

// Covers the real OpenTelemetry JS exporters end to end into a MemorySink:
// OTLP/HTTP JSON (exporter-trace-otlp-http), OTLP/HTTP protobuf with gzip
// (exporter-trace-otlp-proto) and OTLP/gRPC with gzip
// (exporter-trace-otlp-grpc), each sending spans from a TracerProvider; the
// rows carry exactly the IDs, nanosecond times, attributes of every type
// the SDK can send, events, links, status, resource and scope.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { HrTime, SpanContext } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import type { SpanRow } from '../src/signals/traces/span-row.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from './helpers/exporter-options.ts';
import { INGEST_KEY, keys, SITE_ID, silentLogger } from './helpers/fixtures.ts';

const START: HrTime = [1700000000, 123456789];
const EVENT: HrTime = [1700000000, 500000001];
const END: HrTime = [1700000001, 987654321];

type ExporterFactory = (ports: { httpPort: number; grpcPort: number }, key: string) => SpanExporter;

const exporters: [string, ExporterFactory][] = [
  ['exporter-trace-otlp-http (JSON)', ({ httpPort }, key) => new HttpJsonExporter(otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/traces`, key))],
  [
    'exporter-trace-otlp-proto (protobuf, gzip)',
    ({ httpPort }, key) => new HttpProtoExporter(otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/traces`, key, { gzip: true })),
  ],
  ['exporter-trace-otlp-grpc (gzip)', ({ grpcPort }, key) => new GrpcExporter(otlpGrpcExporterOptions(`http://127.0.0.1:${grpcPort}`, key))],
];

interface Sent {
  parent: SpanContext;
  child: SpanContext;
  linked: SpanContext;
}

async function sendSpans(exporter: SpanExporter): Promise<Sent> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'exporter-test', 'deployment.environment.name': 'test', 'host.cpu.count': 8 }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('exporter-test-scope', '2.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const linkedSpan = tracer.startSpan('linked', { startTime: START });
  const linked = linkedSpan.spanContext();
  linkedSpan.end(END);

  const parentSpan = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, startTime: START, attributes: { 'http.route': '/orders/:id', 'http.response.status_code': 500 } });
  const child = tracer.startSpan(
    'SELECT orders',
    {
      kind: SpanKind.CLIENT,
      startTime: START,
      links: [{ context: linked, attributes: { 'link.reason': 'retry-of' } }],
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
    },
    trace.setSpan(context.active(), parentSpan),
  );
  child.addEvent('retrying', { attempt: 2, 'reason': 'timeout' }, EVENT);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  child.end(END);
  parentSpan.setStatus({ code: SpanStatusCode.OK });
  parentSpan.end(END);
  await provider.forceFlush();
  await provider.shutdown();
  return { parent: parentSpan.spanContext(), child: child.spanContext(), linked };
}

for (const [name, makeExporter] of exporters) {
  t.test(name, async (t) => {
    const sink = new MemorySink();
    const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
    const ports = await collector.start();
    t.teardown(() => collector.shutdown());

    const sent = await sendSpans(makeExporter(ports, INGEST_KEY));
    const rows = new Map(sink.rows().map((row) => [row.name, row]));
    t.equal(rows.size, 3);
    t.ok(sink.batches.every((batch) => batch.siteId === SITE_ID));

    const child = rows.get('SELECT orders') as SpanRow;
    const parent = rows.get('GET /orders/:id') as SpanRow;
    t.equal(child.traceId.toString('hex'), sent.child.traceId);
    t.equal(child.spanId.toString('hex'), sent.child.spanId);
    t.equal(child.parentSpanId?.toString('hex'), sent.parent.spanId);
    t.equal(parent.parentSpanId, null);
    t.equal(parent.spanId.toString('hex'), sent.parent.spanId);
    t.equal(child.startTimeUnixNano, 1700000000123456789n);
    t.equal(child.endTimeUnixNano, 1700000001987654321n);
    t.equal(child.kind, 3);
    t.equal(parent.kind, 2);
    t.equal(child.flags & 0xff, 1, 'sampled');
    t.equal(child.statusCode, 2);
    t.equal(child.statusMessage, 'deadlock detected');
    t.equal(parent.statusCode, 1);
    t.equal(parent.httpRoute, '/orders/:id');
    t.equal(parent.httpStatusCode, 500);
    t.same(child.attributes, [
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
    t.same(child.events, [
      {
        timeUnixNano: '1700000000500000001',
        name: 'retrying',
        attributes: [
          { key: 'attempt', value: { intValue: '2' } },
          { key: 'reason', value: { stringValue: 'timeout' } },
        ],
        droppedAttributesCount: 0,
      },
    ]);
    t.match(child.links, [
      { traceId: sent.linked.traceId, spanId: sent.linked.spanId, traceState: '', attributes: [{ key: 'link.reason', value: { stringValue: 'retry-of' } }], droppedAttributesCount: 0 },
    ]);
    t.equal(child.serviceName, 'exporter-test');
    t.same(
      child.resource.attributes.filter((kv) => ['service.name', 'deployment.environment.name', 'host.cpu.count'].includes(kv.key)),
      [
        { key: 'service.name', value: { stringValue: 'exporter-test' } },
        { key: 'deployment.environment.name', value: { stringValue: 'test' } },
        { key: 'host.cpu.count', value: { intValue: '8' } },
      ],
    );
    t.equal(child.scope.name, 'exporter-test-scope');
    t.equal(child.scope.version, '2.0.0');
    t.equal(child.scopeSchemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  });

  t.test(`${name}: a refused key fails the export`, async (t) => {
    const sink = new MemorySink();
    const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
    const ports = await collector.start();
    t.teardown(() => collector.shutdown());
    const exporter = makeExporter(ports, 'ja_sk_not_a_key');
    const span = await oneSpan();
    const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => exporter.export([span], resolve));
    await exporter.shutdown();
    t.equal(result.code, ExportResultCode.FAILED);
    t.equal(sink.batches.length, 0);
  });
}

t.test('exporter-trace-otlp-grpc really compresses with gzip', async (t) => {
  // grpc-js names the check that refused a message: only a compressed one
  // is refused for what it decompresses to.
  const collector = createCollector({ sink: new MemorySink(), keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0, maxRequestBytes: 4096 });
  const ports = await collector.start();
  t.teardown(() => collector.shutdown());
  const exporter = (exporters[2] as [string, ExporterFactory])[1](ports, INGEST_KEY);
  const span = await oneSpan({ filler: 'x'.repeat(50_000) });
  const result = await new Promise<{ code: ExportResultCode; error?: Error }>((resolve) => exporter.export([span], resolve));
  await exporter.shutdown();
  t.equal(result.code, ExportResultCode.FAILED);
  t.match(result.error?.message, /decompresses to a size larger than 4096/);
});

async function oneSpan(attributes: Record<string, string> = {}): Promise<ReadableSpan> {
  let captured: ReadableSpan | undefined;
  const provider = new TracerProvider({
    spanProcessors: [
      new SimpleSpanProcessor({
        exporter: {
          export: (spans, done) => {
            captured = spans[0];
            done({ code: ExportResultCode.SUCCESS });
          },
          shutdown: async () => {},
        },
      }),
    ],
  });
  provider.getTracer('t').startSpan('s', { attributes }).end();
  await provider.shutdown();
  if (captured === undefined) throw new Error('no span');
  return captured;
}

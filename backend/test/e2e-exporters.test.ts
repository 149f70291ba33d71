// End to end with the real OpenTelemetry JS exporters: spans sent over OTLP/HTTP
// JSON, OTLP/HTTP protobuf and OTLP/gRPC (gzip) come back whole, field by field,
// from GET /api/v1/traces/{traceId}.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type AttributeValue, type Attributes, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from '../../collector/test/helpers/exporter-options.ts';
import { startTestServer } from './helpers/test-server.ts';

const t0 = BigInt(Math.floor(Date.now() / 1000) - 60);
const hr = (seconds: bigint, nanos: number): HrTime => [Number(t0 + seconds), nanos];

interface Transport {
  name: string;
  exporter(server: { otlpHttpUrl: string; otlpGrpcUrl: string; ingestKey: string }): SpanExporter;
}

const transports: Transport[] = [
  {
    name: 'OTLP/HTTP JSON',
    exporter: (s) => new HttpJsonExporter(otlpHttpExporterOptions(`${s.otlpHttpUrl}/v1/traces`, s.ingestKey)),
  },
  {
    name: 'OTLP/HTTP protobuf, gzip',
    exporter: (s) => new HttpProtoExporter(otlpHttpExporterOptions(`${s.otlpHttpUrl}/v1/traces`, s.ingestKey, { gzip: true })),
  },
  { name: 'OTLP/gRPC, gzip', exporter: (s) => new GrpcExporter(otlpGrpcExporterOptions(s.otlpGrpcUrl, s.ingestKey)) },
];

t.test('spans from the real exporters come back intact', async (t) => {
  const server = await startTestServer(t);

  for (const transport of transports) {
    await t.test(transport.name, async (t) => {
      const recorded = new InMemorySpanExporter();
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': `checkout-${transport.name}`, 'deployment.environment.name': 'test', 'host.cores': 2 }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: transport.exporter(server) }), new SimpleSpanProcessor({ exporter: recorded })],
      });
      const tracer = provider.getTracer('e2e-tracer', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });

      // A remote parent carries a trace state, as a W3C traceparent/tracestate would.
      const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: randomHex(16),
        spanId: randomHex(8),
        traceFlags: 1,
        isRemote: true,
        traceState: new TraceState('vendor=opaque,other=1'),
      });
      const server_span = tracer.startSpan(
        'GET /cart/:id',
        {
          kind: SpanKind.SERVER,
          startTime: hr(0n, 123_456_789),
          attributes: {
            'http.route': '/cart/:id',
            'http.response.status_code': 503,
            'feature.enabled': true,
            'ratio': 0.25,
            'tags': ['a', 'b', ''],
            'counts': [1, 2, 3],
            'flags': [true, false],
            'weights': [1.5, -2.25],
            'unicode': 'héllo ✓ 😀',
          },
          links: [
            {
              context: { traceId: randomHex(16), spanId: randomHex(8), traceFlags: 1, traceState: new TraceState('k=v') },
              attributes: { 'link.reason': 'retry-of', 'link.attempt': 2 },
            },
          ],
        },
        remoteParent,
      );
      server_span.addEvent('cache.miss', { 'cache.key': 'cart:42', 'cache.size': 1024 }, hr(0n, 500_000_001));
      server_span.addEvent('no attributes', hr(1n, 1));
      const child = tracer.startSpan(
        'SELECT cart',
        { kind: SpanKind.CLIENT, startTime: hr(0n, 200_000_000), attributes: { 'db.system.name': 'postgresql' } },
        trace.setSpan(remoteParent, server_span),
      );
      child.setStatus({ code: SpanStatusCode.OK });
      child.end(hr(0n, 300_000_999));
      server_span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream unavailable' });
      server_span.end(hr(2n, 999_999_999));
      await provider.forceFlush();
      const spans = recorded.getFinishedSpans(); // before shutdown, which empties the recorder
      await provider.shutdown();

      t.equal(spans.length, 2);
      const traceId = server_span.spanContext().traceId;
      const { status, body } = await server.api(`/api/v1/traces/${traceId}`);
      t.equal(status, 200);
      const returned = flattenSpans(body);
      t.equal(returned.length, spans.length, 'every span and no more');
      for (const span of spans) {
        const got = returned.find((r) => r.span.spanId === span.spanContext().spanId);
        t.ok(got, `span ${span.name} is in the trace`);
        if (!got) continue;
        t.same(got.span, expectedSpan(span), `${span.name}: every span field`);
        t.same(got.resource, { attributes: keyValues(span.resource.attributes), droppedAttributesCount: 0 }, `${span.name}: resource`);
        t.same(
          got.scope,
          { name: 'e2e-tracer', version: '1.2.3', attributes: [], droppedAttributesCount: 0 },
          `${span.name}: instrumentation scope`,
        );
        t.equal(got.scopeSchemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
      }
    });
  }
});

t.test('the trace list and services see what the exporters sent', async (t) => {
  const server = await startTestServer(t);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'listing' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: transports[1]!.exporter(server) })],
  });
  const tracer = provider.getTracer('listing');
  const root = tracer.startSpan('GET /items', { kind: SpanKind.SERVER });
  root.setStatus({ code: SpanStatusCode.ERROR });
  root.end();
  await provider.shutdown();

  const traces = await server.api('/api/v1/traces?service=listing');
  t.equal(traces.status, 200);
  const list = (traces.body as { traces: Array<{ traceId: string; rootServiceName: string; rootSpanName: string; spanCount: number; errorCount: number }> }).traces;
  t.equal(list.length, 1);
  t.match(list[0], { traceId: root.spanContext().traceId, rootServiceName: 'listing', rootSpanName: 'GET /items', spanCount: 1, errorCount: 1 });

  const services = await server.api('/api/v1/services');
  t.match(services.body, { services: [{ name: 'listing', spanCount: 1, errorCount: 1 }] });
});

interface ReturnedSpan {
  span: Record<string, unknown> & { spanId: string };
  resource: unknown;
  scope: unknown;
  scopeSchemaUrl: unknown;
}

function flattenSpans(body: unknown): ReturnedSpan[] {
  const out: ReturnedSpan[] = [];
  const data = body as { resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; schemaUrl: unknown; spans: ReturnedSpan['span'][] }> }> };
  for (const rs of data.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) out.push({ span, resource: rs.resource, scope: ss.scope, scopeSchemaUrl: ss.schemaUrl });
    }
  }
  return out;
}

/** What OTLP/JSON says a span recorded by the SDK must look like, written independently of the server's code. */
function expectedSpan(span: ReadableSpan): Record<string, unknown> {
  const context = span.spanContext();
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: context.traceState?.serialize() ?? '',
    // OTLP 1.x: bit 8 says whether the parent's remoteness is known, bit 9 that it was remote.
    flags: context.traceFlags | 0x100 | (span.parentSpanContext?.isRemote ? 0x200 : 0),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: nanos(event.time),
      name: event.name,
      attributes: keyValues(event.attributes ?? {}),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: keyValues(link.attributes ?? {}),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: link.context.traceFlags | 0x100 | (link.context.isRemote ? 0x200 : 0),
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message ?? '' },
  };
}

function nanos([seconds, nanoseconds]: HrTime): string {
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds)).toString();
}

function keyValues(attributes: Attributes): Array<{ key: string; value: unknown }> {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function anyValue(value: AttributeValue | undefined | null): unknown {
  if (Array.isArray(value)) return { arrayValue: { values: value.map((v) => anyValue(v)) } };
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
    default:
      return {};
  }
}

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex');
}

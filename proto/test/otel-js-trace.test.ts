// Covers: ExportTraceServiceRequest against the real OpenTelemetry JS encoder.
// Spans recorded by @opentelemetry/sdk-trace are serialized by
// @opentelemetry/otlp-transformer's ProtobufTraceSerializer (a hand-written
// protobuf writer, independent of protobufjs); our decode must give back the
// same ids, names, kinds, exact nanosecond times, attributes of every type the
// SDK accepts, events, links, flags, trace state, status, dropped counts,
// resource and scope, and the same document as its JsonTraceSerializer.
import t from 'tap';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ExportTraceServiceRequest, SpanFlags, decodeTraceRequest, int64ToBigInt } from '../src/index.ts';
import type { ISpan } from '../src/index.ts';
import { keyValuesToJs } from './helpers/any-value.ts';
import { hrTimeToBigInt } from './helpers/hr-time.ts';
import { decodedToOtlpJson, otelJsJson } from './helpers/otlp-json.ts';

const hex = (bytes: Uint8Array | readonly []): string => Buffer.from(bytes).toString('hex');

async function recordSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  let nextSpan = 0x1000n;
  const provider = new TracerProvider({
    resource: resourceFromAttributes(
      { 'service.name': 'checkout', 'service.instance.id': 7, 'host.arch.bits': 64.5, 'deployment.canary': false, 'process.command_args': ['node', 'app.js'] },
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' },
    ),
    spanLimits: { attributeCountLimit: 12, eventCountLimit: 2, linkCountLimit: 2 },
    idGenerator: {
      generateTraceId: () => '4bf92f3577b34da6a3ce929d0e0e4736',
      generateSpanId: () => (nextSpan++).toString(16).padStart(16, '0'),
    },
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('checkout-instrumentation', '1.4.2', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const other = provider.getTracer('db-instrumentation');

  // The server span continues a trace that arrived from a remote caller.
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    traceState: new TraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
    isRemote: true,
  });
  const server = tracer.startSpan('POST /cart/{id}', {
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: {
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'neg.int': -17,
      'max.safe': Number.MAX_SAFE_INTEGER,
      'ratio': 0.125,
      'flag': true,
      'unicode': 'naïve ☕ 𝄞',
      'strings': ['a', '', 'ü'],
      'ints': [1, -2, 3],
      'doubles': [0.5, -1.25],
      'bools': [true, false],
      'empty.list': [],
    },
    // The SDK keeps the newest links and events: the first of each is dropped.
    links: [
      { context: { traceId: '33333333333333333333333333333333', spanId: '4444444444444444', traceFlags: TraceFlags.SAMPLED } },
      { context: { traceId: '55555555555555555555555555555555', spanId: '6666666666666666', traceFlags: TraceFlags.NONE } },
      { context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('k=v') }, attributes: { 'link.reason': 'batch', 'link.n': 3 } },
    ],
  }, remote);
  server.addEvent('dropped.oldest', [1_700_000_000, 100_000_000]);
  server.addEvent('cart.loaded', { items: 3, 'cart.total': 99.95 }, [1_700_000_000, 200_000_001]);
  server.addEvent('no.attributes', [1_700_000_000, 300_000_000]);
  server.setAttribute('late', 'set after start');
  for (let i = 0; i < 3; i++) server.setAttribute(`overflow.${i}`, i);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });

  const child = other.startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 150_000_000] }, trace.setSpan(ROOT_CONTEXT, server));
  child.setStatus({ code: SpanStatusCode.OK });
  child.end([1_700_000_000, 180_000_000]);

  for (const [kind, name] of [[SpanKind.INTERNAL, 'internal'], [SpanKind.PRODUCER, 'produce'], [SpanKind.CONSUMER, 'consume']] as const) {
    tracer.startSpan(name, { kind, startTime: [1_700_000_001, 0] }).end([1_700_000_001, 1]);
  }
  server.end([1_700_000_002, 999_999_999]);
  await provider.forceFlush();
  // Read before shutdown: shutting down the in-memory exporter empties it.
  const finished = exporter.getFinishedSpans();
  await provider.shutdown();
  return finished;
}

t.test('spans serialized by OpenTelemetry JS decode to the recorded values', async (t) => {
  const spans = await recordSpans();
  t.equal(spans.length, 5);
  const body = ProtobufTraceSerializer.serializeRequest(spans);
  if (!body) throw new Error('serializer returned nothing');
  const request = decodeTraceRequest(body);

  t.equal(request.resourceSpans.length, 1);
  const rs = request.resourceSpans[0]!;
  t.equal(rs.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  t.strictSame(keyValuesToJs(rs.resource!.attributes), {
    'service.name': 'checkout', 'service.instance.id': 7, 'host.arch.bits': 64.5, 'deployment.canary': false, 'process.command_args': ['node', 'app.js'],
  });

  const byScope = new Map(rs.scopeSpans.map((ss) => [ss.scope?.name, ss]));
  t.strictSame([...byScope.keys()].sort(), ['checkout-instrumentation', 'db-instrumentation']);
  const main = byScope.get('checkout-instrumentation')!;
  t.equal(main.scope!.version, '1.4.2');
  t.equal(main.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');
  t.equal(byScope.get('db-instrumentation')!.scope!.version, '');

  const decoded = new Map<string, ISpan>();
  for (const ss of rs.scopeSpans) for (const span of ss.spans) decoded.set(hex(span.spanId), span);
  t.equal(decoded.size, spans.length);

  for (const sdk of spans) {
    const ctx = sdk.spanContext();
    const span = decoded.get(ctx.spanId);
    if (!span) throw new Error(`span ${ctx.spanId} missing`);
    t.test(sdk.name, async (t) => {
      t.equal(hex(span.traceId), ctx.traceId);
      t.equal(hex(span.parentSpanId), sdk.parentSpanContext?.spanId ?? '');
      t.equal(span.name, sdk.name);
      t.equal(span.kind, sdk.kind + 1, 'API SpanKind is OTLP kind - 1');
      t.equal(int64ToBigInt(span.startTimeUnixNano), hrTimeToBigInt(sdk.startTime));
      t.equal(int64ToBigInt(span.endTimeUnixNano), hrTimeToBigInt(sdk.endTime));
      t.equal(span.traceState, ctx.traceState?.serialize() ?? '');
      t.equal(span.flags & SpanFlags.TRACE_FLAGS_MASK, ctx.traceFlags);
      t.equal(Boolean(span.flags & SpanFlags.CONTEXT_HAS_IS_REMOTE_MASK), true);
      t.equal(Boolean(span.flags & SpanFlags.CONTEXT_IS_REMOTE_MASK), sdk.parentSpanContext?.isRemote === true);
      t.strictSame(keyValuesToJs(span.attributes), sdk.attributes);
      t.equal(span.droppedAttributesCount, sdk.droppedAttributesCount);
      t.equal(span.droppedEventsCount, sdk.droppedEventsCount);
      t.equal(span.droppedLinksCount, sdk.droppedLinksCount);
      t.equal(span.status?.code, sdk.status.code);
      t.equal(span.status?.message, sdk.status.message ?? '');
      t.equal(span.events.length, sdk.events.length);
      sdk.events.forEach((event, i) => {
        const got = span.events[i]!;
        t.equal(got.name, event.name);
        t.equal(int64ToBigInt(got.timeUnixNano), hrTimeToBigInt(event.time));
        t.strictSame(keyValuesToJs(got.attributes), event.attributes ?? {});
        t.equal(got.droppedAttributesCount, event.droppedAttributesCount ?? 0);
      });
      t.equal(span.links.length, sdk.links.length);
      sdk.links.forEach((link, i) => {
        const got = span.links[i]!;
        t.equal(hex(got.traceId), link.context.traceId);
        t.equal(hex(got.spanId), link.context.spanId);
        t.equal(got.traceState, link.context.traceState?.serialize() ?? '');
        t.equal(got.flags & SpanFlags.TRACE_FLAGS_MASK, link.context.traceFlags);
        t.equal(Boolean(got.flags & SpanFlags.CONTEXT_IS_REMOTE_MASK), link.context.isRemote === true);
        t.strictSame(keyValuesToJs(got.attributes), link.attributes ?? {});
      });
    });
  }

  // Spot checks against literal values, so the test does not only compare the SDK with itself.
  const server = [...decoded.values()].find((s) => s.name === 'POST /cart/{id}')!;
  t.equal(int64ToBigInt(server.startTimeUnixNano), 1700000000123456789n);
  t.equal(int64ToBigInt(server.endTimeUnixNano), 1700000002999999999n);
  t.equal(hex(server.traceId), '0af7651916cd43dd8448eb211c80319c');
  t.equal(hex(server.parentSpanId), 'b7ad6b7169203331');
  t.equal(server.flags, 0x301);
  t.equal(server.kind, 2);
  t.equal(server.traceState, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  t.equal(server.droppedAttributesCount, 4, '12 kept, 4 over the limit');
  t.equal(server.droppedEventsCount, 1);
  t.equal(server.droppedLinksCount, 1);
  t.strictSame({ code: server.status?.code, message: server.status?.message }, { code: 2, message: 'payment declined' });
  t.equal(int64ToBigInt(server.events[0]!.timeUnixNano), 1700000000200000001n);
  t.strictSame(keyValuesToJs(server.events[0]!.attributes), { items: 3, 'cart.total': 99.95 });
  t.strictSame(server.events.map((e) => e.name), ['cart.loaded', 'no.attributes']);
  t.strictSame(server.links.map((l) => hex(l.traceId)), ['55555555555555555555555555555555', '11111111111111111111111111111111']);
  t.equal(server.links[0]!.flags, 0x100, 'not sampled, known not remote');
  t.equal(server.links[1]!.flags, 0x301, 'sampled and remote');
  t.equal(server.links[1]!.traceState, 'k=v');
  t.strictSame(keyValuesToJs(server.links[1]!.attributes), { 'link.reason': 'batch', 'link.n': 3 });
  const child = [...decoded.values()].find((s) => s.name === 'SELECT cart')!;
  t.equal(hex(child.parentSpanId), hex(server.spanId));
  t.equal(child.flags, 0x101, 'local parent: has-is-remote set, is-remote clear');
  t.strictSame([...decoded.values()].map((s) => s.kind).sort(), [1, 2, 3, 4, 5]);
});

t.test('decode matches the JSON serializer document', async (t) => {
  const spans = await recordSpans();
  const fromProto = decodedToOtlpJson(ExportTraceServiceRequest, ExportTraceServiceRequest.decode(ProtobufTraceSerializer.serializeRequest(spans)!));
  const fromJson = otelJsJson(JsonTraceSerializer.serializeRequest(spans)!);
  t.strictSame(fromProto, fromJson);
});

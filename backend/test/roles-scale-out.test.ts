// The roles scaled out, as real processes on one database: two `collect`
// processes and one `serve --no-ingest`. Both collectors are loaded at once
// through the real OpenTelemetry JS trace exporters (OTLP/HTTP protobuf to
// one, OTLP/gRPC to the other); one collector is killed with SIGKILL mid-load,
// and its clients fail over to the survivor, as a load balancer would send
// them. Once the survivors finish, every span an exporter saw acknowledged is
// read back, whole, through the `serve --no-ingest` process's query API with a
// read key; the API process opened no OTLP port, the collectors no API port.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import t from 'tap';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from '../../collector/test/helpers/exporter-options.ts';
import { createApiKey } from '../src/store/api-keys.ts';
import { createSite } from '../src/store/sites.ts';
import { roleArgs, startRole, stopRole } from './helpers/role-process.ts';
import { createTestDatabase } from './helpers/test-database.ts';

const SPANS_PER_BATCH = 40;
const CLIENTS_PER_COLLECTOR = 3;
const BATCHES_BEFORE_KILL = 40; // per collector
const BATCHES_AFTER_KILL = 30;
const EXPORT_TIMEOUT_MS = 5000;

/** One export batch: a fresh trace of a root span and its children, as the SDK records them. */
async function traceBatch(provider: TracerProvider, recorder: InMemorySpanExporter): Promise<ReadableSpan[]> {
  const tracer = provider.getTracer('scale-out');
  const root = tracer.startSpan('GET /orders', { kind: SpanKind.SERVER, attributes: { 'http.route': '/orders' } });
  const parent = trace.setSpan(context.active(), root);
  for (let i = 1; i < SPANS_PER_BATCH; i++) tracer.startSpan(`SELECT ${i}`, { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } }, parent).end();
  root.end();
  await provider.forceFlush();
  const spans = recorder.getFinishedSpans();
  recorder.reset();
  if (spans.length !== SPANS_PER_BATCH) throw new Error(`recorded ${spans.length} spans, not ${SPANS_PER_BATCH}`);
  return spans;
}

function exportBatch(exporter: SpanExporter, spans: ReadableSpan[]): Promise<boolean> {
  return new Promise((resolve) => exporter.export(spans, (result) => resolve(result.code === ExportResultCode.SUCCESS)));
}

interface Endpoint {
  name: string;
  exporter: SpanExporter;
  acknowledged: number;
}

t.test('two collectors and serve --no-ingest: one collector SIGKILLed mid-load, every acknowledged span is read back', async (t) => {
  const { url, handle } = await createTestDatabase(t);
  const site = await createSite(handle.db, { name: 'scale-out' });
  const ingestKey = (await createApiKey(handle.db, { siteId: site.id, scopes: ['ingest'] })).key;
  const readKey = (await createApiKey(handle.db, { siteId: site.id, scopes: ['read'] })).key;
  const env = { DATABASE_URL: url, JUSTANALYTICS_SHUTDOWN_TIMEOUT_MS: '5000' };

  const [doomed, survivor, api] = await Promise.all([
    startRole(t, roleArgs.collect, env),
    startRole(t, roleArgs.collect, env),
    startRole(t, roleArgs.serveNoIngest, env),
  ]);
  t.match(api.serving, { role: 'serve --no-ingest', otlpHttpPort: undefined, otlpGrpcPort: undefined }, 'the API role opened no OTLP port');
  t.ok(api.serving.apiPort, 'and an API port');
  for (const collector of [doomed, survivor]) t.match(collector.serving, { role: 'collect', apiPort: undefined }, 'a collector opened no API port');

  const exporterOptions = { timeoutMillis: EXPORT_TIMEOUT_MS };
  const toDoomed: Endpoint = {
    name: 'doomed (OTLP/HTTP protobuf)',
    exporter: new HttpProtoExporter({ ...otlpHttpExporterOptions(`http://127.0.0.1:${doomed.serving.otlpHttpPort}/v1/traces`, ingestKey), ...exporterOptions }),
    acknowledged: 0,
  };
  const toSurvivor: Endpoint = {
    name: 'survivor (OTLP/gRPC)',
    exporter: new GrpcExporter({ ...otlpGrpcExporterOptions(`http://127.0.0.1:${survivor.serving.otlpGrpcPort}`, ingestKey), ...exporterOptions }),
    acknowledged: 0,
  };
  t.teardown(() => Promise.all([toDoomed.exporter.shutdown(), toSurvivor.exporter.shutdown()]));

  // Every span of an acknowledged batch, by trace.
  const acknowledged = new Map<string, Set<string>>();
  let failovers = 0;
  let stopped = false;
  let killed = false;
  let acknowledgedAfterKill = 0;

  const client = async (index: number, first: Endpoint): Promise<void> => {
    const service = `client-${index}`;
    const recorder = new InMemorySpanExporter();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor({ exporter: recorder })] });
    let endpoint = first;
    while (!stopped) {
      const batch = await traceBatch(provider, recorder);
      // A batch the exporter could not deliver goes to the other collector, as a load balancer would send it.
      for (let attempt = 0; attempt < 4 && !stopped; attempt++) {
        if (await exportBatch(endpoint.exporter, batch)) {
          endpoint.acknowledged++;
          if (killed) acknowledgedAfterKill++;
          const traceId = batch[0]!.spanContext().traceId;
          acknowledged.set(traceId, new Set(batch.map((span) => span.spanContext().spanId)));
          break;
        }
        if (endpoint === toDoomed && killed) {
          endpoint = toSurvivor;
          failovers++;
        }
      }
    }
    await provider.shutdown();
  };

  const clients = [
    ...Array.from({ length: CLIENTS_PER_COLLECTOR }, (_, i) => client(i, toDoomed)),
    ...Array.from({ length: CLIENTS_PER_COLLECTOR }, (_, i) => client(CLIENTS_PER_COLLECTOR + i, toSurvivor)),
  ];
  const until = async (predicate: () => boolean, what: string): Promise<void> => {
    for (const deadline = Date.now() + 90_000; !predicate(); ) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${toDoomed.acknowledged}/${toSurvivor.acknowledged} batches`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  try {
    await until(() => toDoomed.acknowledged >= BATCHES_BEFORE_KILL && toSurvivor.acknowledged >= BATCHES_BEFORE_KILL, 'both collectors to take load');
    doomed.child.kill('SIGKILL');
    killed = true;
    const [, signal] = await doomed.exited;
    t.equal(signal, 'SIGKILL', 'one collector died of SIGKILL mid-load');
    await until(() => acknowledgedAfterKill >= BATCHES_AFTER_KILL && failovers >= CLIENTS_PER_COLLECTOR, 'the survivor to take the load');
  } finally {
    stopped = true;
    await Promise.all(clients);
  }
  t.equal(failovers, CLIENTS_PER_COLLECTOR, 'every client of the killed collector failed over');
  t.ok(
    toDoomed.acknowledged >= BATCHES_BEFORE_KILL && toSurvivor.acknowledged >= BATCHES_BEFORE_KILL + BATCHES_AFTER_KILL,
    `both took load: ${toDoomed.acknowledged} batches acknowledged by ${toDoomed.name}, ${toSurvivor.acknowledged} by ${toSurvivor.name}`,
  );

  // Read back through the API process, with the read key.
  const apiUrl = `http://127.0.0.1:${api.serving.apiPort}`;
  let spansChecked = 0;
  const missing: string[] = [];
  for (const [traceId, spanIds] of acknowledged) {
    const response = await fetch(`${apiUrl}/api/v1/traces/${traceId}`, { headers: { authorization: `Bearer ${readKey}` } });
    const body = (await response.json()) as { resourceSpans?: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };
    const returned = new Set((body.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => span.spanId))));
    for (const spanId of spanIds) if (!returned.has(spanId)) missing.push(`${traceId}/${spanId} (${response.status})`);
    if (returned.size !== spanIds.size) missing.push(`${traceId}: ${returned.size} spans returned, ${spanIds.size} sent`);
    spansChecked += spanIds.size;
  }
  t.same(missing.slice(0, 10), [], `all ${spansChecked} acknowledged spans (${acknowledged.size} traces) are read back whole`);
  t.equal(
    (await fetch(`${apiUrl}/api/v1/services`, { headers: { authorization: `Bearer ${ingestKey}` } })).status,
    403,
    'the ingest key cannot read',
  );

  t.equal(await stopRole(survivor), 0, 'the surviving collector stops cleanly');
  t.equal(await stopRole(api), 0, 'serve --no-ingest stops cleanly');
});

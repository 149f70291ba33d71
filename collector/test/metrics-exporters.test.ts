// Covers the real OpenTelemetry JS metric exporters end to end into a
// MemorySink: OTLP/HTTP JSON (exporter-metrics-otlp-http, cumulative),
// OTLP/HTTP protobuf with gzip and DELTA temporality preference
// (exporter-metrics-otlp-proto) and OTLP/gRPC with gzip
// (exporter-metrics-otlp-grpc), each sending from an sdk-metrics
// MeterProvider to a createCollector serving the default signals: an int
// counter, a double up-down counter, a histogram with explicit buckets (by
// advice), an exponential histogram (by a view) and an observable gauge;
// the rows compared with what was recorded (types, temporality,
// monotonicity, values, bucket counts, attributes, resource service.name,
// scope, times).
import { ValueType } from '@opentelemetry/api';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as HttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as HttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import t from 'tap';
import { createCollector } from '../src/receivers/collector.ts';
import type { MetricPointRow } from '../src/signals/metrics/metric-point-row.ts';
import { Temporality } from '../src/signals/metrics/metric-point-row.ts';
import { MemorySink } from '../src/sink/memory-sink.ts';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from './helpers/exporter-options.ts';
import { INGEST_KEY, keys, SITE_ID, silentLogger } from './helpers/fixtures.ts';

type ExporterFactory = (ports: { httpPort: number; grpcPort: number }, key: string) => PushMetricExporter;

// The exporters bring their own copy of sdk-metrics; the reader only calls
// the exporter's interface, so the copies meet at runtime as they do in apps.
const asExporter = (exporter: unknown) => exporter as PushMetricExporter;

const exporters: [string, ExporterFactory, number][] = [
  [
    'exporter-metrics-otlp-http (JSON, cumulative)',
    ({ httpPort }, key) => asExporter(new HttpJsonExporter(otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/metrics`, key))),
    Temporality.cumulative,
  ],
  [
    'exporter-metrics-otlp-proto (protobuf, gzip, delta)',
    ({ httpPort }, key) =>
      asExporter(
        new HttpProtoExporter({
          ...otlpHttpExporterOptions(`http://127.0.0.1:${httpPort}/v1/metrics`, key, { gzip: true }),
          temporalityPreference: AggregationTemporalityPreference.DELTA,
        }),
      ),
    Temporality.delta,
  ],
  ['exporter-metrics-otlp-grpc (gzip, cumulative)', ({ grpcPort }, key) => asExporter(new GrpcExporter(otlpGrpcExporterOptions(`http://127.0.0.1:${grpcPort}`, key))), Temporality.cumulative],
];

const EXPONENTIAL_VALUES = [0, 0.5, 3, 3, 100, 0.001];

async function sendMetrics(exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'metric-exporter-test', 'host.cpu.count': 8 }),
    views: [{ instrumentName: 'rpc.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 20 } } }],
    readers: [reader],
  });
  const meter = provider.getMeter('metric-test-scope', '3.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });

  const requests = meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served', valueType: ValueType.INT });
  requests.add(5, { 'http.route': '/a', 'http.response.status_code': 200 });
  requests.add(7, { 'http.route': '/b', 'http.response.status_code': 500 });
  requests.add(1, { 'http.route': '/a', 'http.response.status_code': 200 });

  const queue = meter.createUpDownCounter('queue.depth', { valueType: ValueType.DOUBLE });
  queue.add(2.5);
  queue.add(-4);

  const duration = meter.createHistogram('http.server.duration', { unit: 'ms', advice: { explicitBucketBoundaries: [5, 10, 25.5] } });
  for (const value of [1, 7, 30, 30, 10]) duration.record(value, { 'http.request.method': 'GET' });

  const latency = meter.createHistogram('rpc.latency', { unit: 's' });
  for (const value of EXPONENTIAL_VALUES) latency.record(value);

  const load = meter.createObservableGauge('system.load', { description: 'One-minute load' });
  load.addCallback((result) => result.observe(0.75, { cpu: 'all' }));

  // Shutting down collects and exports once (a forceFlush first would export the cumulative points twice).
  await provider.shutdown();
}

for (const [name, makeExporter, temporality] of exporters) {
  t.test(name, async (t) => {
    const sink = new MemorySink();
    const collector = createCollector({ sink, keys, logger: silentLogger, host: '127.0.0.1', httpPort: 0, grpcPort: 0 });
    const ports = await collector.start();
    t.teardown(() => collector.shutdown());

    const before = BigInt(Date.now()) * 1_000_000n;
    await sendMetrics(makeExporter(ports, INGEST_KEY));
    const rows = sink.rows('metrics');
    t.ok(sink.batches.every((batch) => batch.signal === 'metrics' && batch.siteId === SITE_ID));
    const named = (metricName: string) => rows.filter((row) => row.metricName === metricName);
    const route = (row: MetricPointRow) => row.attributes.find((attribute) => attribute.key === 'http.route')?.value;

    for (const row of rows) {
      t.equal(row.serviceName, 'metric-exporter-test', `${row.metricName}: service.name promoted`);
      t.same([row.scope.name, row.scope.version, row.scopeSchemaUrl], ['metric-test-scope', '3.0.0', 'https://opentelemetry.io/schemas/1.26.0']);
      t.ok(row.timeUnixNano >= before && row.startTimeUnixNano > 0n && row.startTimeUnixNano <= row.timeUnixNano, `${row.metricName}: times`);
      t.equal(row.flags, 0);
    }

    const counter = named('http.server.requests').sort((a, b) => JSON.stringify(route(a)).localeCompare(JSON.stringify(route(b))));
    t.equal(counter.length, 2, 'a counter point per attribute set');
    t.same(
      counter.map((row) => [row.type, row.temporality, row.monotonic, row.unit, row.description, row.intValue, row.doubleValue]),
      [
        ['sum', temporality, true, '{request}', 'Requests served', 6n, null],
        ['sum', temporality, true, '{request}', 'Requests served', 7n, null],
      ],
    );
    t.same(counter[0]?.attributes, [
      { key: 'http.route', value: { stringValue: '/a' } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
    ]);

    const [queue] = named('queue.depth');
    // An up-down counter stays cumulative under the DELTA preference (the SDK's delta selector).
    t.same([queue?.type, queue?.temporality, queue?.monotonic, queue?.doubleValue, queue?.intValue], ['sum', Temporality.cumulative, false, -1.5, null]);

    const [histogram] = named('http.server.duration');
    t.same(
      [histogram?.type, histogram?.temporality, histogram?.count, histogram?.sum, histogram?.min, histogram?.max],
      ['histogram', temporality, 5n, 78, 1, 30],
    );
    t.same(histogram?.explicitBounds, [5, 10, 25.5]);
    t.same(histogram?.bucketCounts, [1n, 2n, 0n, 2n], '1 | 7, 10 | none | 30, 30');
    t.same(histogram?.attributes, [{ key: 'http.request.method', value: { stringValue: 'GET' } }]);

    const [exponential] = named('rpc.latency');
    t.equal(exponential?.type, 'exponential_histogram');
    t.equal(exponential?.temporality, temporality);
    t.equal(exponential?.count, BigInt(EXPONENTIAL_VALUES.length));
    t.equal(exponential?.sum, EXPONENTIAL_VALUES.reduce((sum, value) => sum + value, 0));
    t.same([exponential?.min, exponential?.max], [0, 100]);
    const buckets = exponential?.exponential;
    t.equal(buckets?.zeroCount, 1n, 'the 0 recorded');
    t.equal(buckets?.positive.bucketCounts.reduce((sum, count) => sum + count, 0n), 5n, 'the rest in positive buckets');
    t.same(buckets?.negative.bucketCounts, []);
    t.ok((buckets?.positive.bucketCounts.length ?? 0) <= 20 && typeof buckets?.scale === 'number', 'within maxSize, with a scale');
    t.equal(exponential?.bucketCounts, null, 'no explicit buckets');

    const [gauge] = named('system.load');
    t.same([gauge?.type, gauge?.temporality, gauge?.monotonic, gauge?.doubleValue, gauge?.description], ['gauge', Temporality.unspecified, false, 0.75, 'One-minute load']);
    t.same(gauge?.attributes, [{ key: 'cpu', value: { stringValue: 'all' } }]);

    t.equal(rows.length, 6, 'no other points');
    t.same(rows[0]?.resource.attributes.slice(0, 2), [
      { key: 'service.name', value: { stringValue: 'metric-exporter-test' } },
      { key: 'host.cpu.count', value: { intValue: '8' } },
    ]);
  });
}

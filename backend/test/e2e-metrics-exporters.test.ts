// End to end with the real OpenTelemetry JS metric exporters: a MeterProvider
// (sdk-metrics) with a counter, an up-down counter, an explicit-bucket
// histogram, an exponential histogram and an observable gauge, exported over
// OTLP/HTTP JSON and OTLP/gRPC (cumulative) and OTLP/HTTP protobuf (delta
// temporality) to a whole server, three collections each. The query API
// answers what this test computes from what it recorded: the counter's
// increase overall and per attribute, the up-down counter's values, the
// histogram's p95 (Prometheus' interpolation, written again here), the
// exponential histogram's p50 within its bucket error, and the gauge's value.
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as HttpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as HttpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import t from 'tap';
import { otlpGrpcExporterOptions, otlpHttpExporterOptions } from '../../collector/test/helpers/exporter-options.ts';
import { postMetricQuery } from './helpers/metric-api.ts';
import { startTestServer } from './helpers/test-server.ts';

const server = await startTestServer(t);

interface Transport {
  name: string;
  exporter(): PushMetricExporter;
}

// The exporters bring their own copy of sdk-metrics' types; the reader only calls export/forceFlush/shutdown.
const transports: Transport[] = [
  { name: 'http-json', exporter: () => new HttpJsonExporter(otlpHttpExporterOptions(`${server.otlpHttpUrl}/v1/metrics`, server.ingestKey)) as unknown as PushMetricExporter },
  {
    name: 'http-proto-delta',
    exporter: () =>
      new HttpProtoExporter({
        ...otlpHttpExporterOptions(`${server.otlpHttpUrl}/v1/metrics`, server.ingestKey, { gzip: true }),
        temporalityPreference: AggregationTemporalityPreference.DELTA,
      }) as unknown as PushMetricExporter,
  },
  { name: 'grpc', exporter: () => new GrpcExporter(otlpGrpcExporterOptions(server.otlpGrpcUrl, server.ingestKey)) as unknown as PushMetricExporter },
];

const bounds = [10, 50, 100, 500, 1000];
// Three collections. Every round counts under either temporality: a cumulative series' start time (when the SDK
// began counting) lies inside the queried range, so its first point counts from zero.
const rounds = [
  { requests: { '/a': 3, '/b': 1 }, upDown: 5, latencies: [5, 20, 20, 70] },
  { requests: { '/a': 7, '/b': 2 }, upDown: -2, latencies: [15, 40, 60, 80, 90, 120, 300, 700, 2000] },
  { requests: { '/a': 4, '/b': 6 }, upDown: 4, latencies: [45, 55, 450, 480] },
];
const sizes = [[8, 8, 9], [20, 21, 22, 23, 20, 21, 22, 23, 20, 21], [400, 500]];

/** Prometheus' histogram_quantile over explicit buckets, written independently of the code under test. */
function prometheusQuantile(q: number, values: number[]): number {
  const counts = [...bounds.map((bound, i) => values.filter((v) => v <= bound && (i === 0 || v > bounds[i - 1]!)).length), values.filter((v) => v > bounds.at(-1)!).length];
  const rank = q * values.length;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    if (cumulative + counts[i]! >= rank) {
      if (i === bounds.length) return bounds.at(-1)!;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + ((bounds[i]! - lower) * (rank - cumulative)) / counts[i]!;
    }
    cumulative += counts[i]!;
  }
  return bounds.at(-1)!;
}

const queryRange = () => ({ start: Date.now() - 5 * 60_000, end: Date.now() + 60_000, step: 360 });

for (const transport of transports) {
  t.test(`${transport.name}: what was recorded is what the query API answers`, async (t) => {
    const service = `metrics-${transport.name}`;
    const reader = new PeriodicExportingMetricReader({ exporter: transport.exporter(), exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      readers: [reader],
      views: [{ instrumentName: 'e2e.payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } }],
    });
    t.teardown(() => provider.shutdown());
    const meter = provider.getMeter('e2e-meter', '1.2.3');
    const requests = meter.createCounter('e2e.requests', { unit: '{request}', description: 'requests served' });
    const inFlight = meter.createUpDownCounter('e2e.in_flight');
    const latency = meter.createHistogram('e2e.latency', { unit: 'ms', advice: { explicitBucketBoundaries: bounds } });
    const size = meter.createHistogram('e2e.payload.size', { unit: 'By' });
    const temperature = meter.createObservableGauge('e2e.temperature', { unit: 'Cel' });
    temperature.addCallback((result) => result.observe(21.5, { room: 'lab' }));

    for (const [i, round] of rounds.entries()) {
      for (const [route, n] of Object.entries(round.requests)) requests.add(n, { 'http.route': route });
      inFlight.add(round.upDown);
      for (const value of round.latencies) latency.record(value);
      for (const value of sizes[i]!) size.record(value);
      await provider.forceFlush();
    }

    const counted = rounds;
    const query = (body: object) => postMetricQuery(server.apiUrl, server.readKey, { ...queryRange(), filters: [{ key: 'service.name', op: 'eq', value: service }], ...body });
    const valueOf = (result: Awaited<ReturnType<typeof query>>) => result.body.series[0]?.points[0]?.[1];

    const increase = await query({ metric: 'e2e.requests', aggregation: 'increase' });
    t.equal(increase.status, 200, JSON.stringify(increase.body));
    t.match(increase.body, { type: 'sum', unit: '{request}' });
    t.equal(valueOf(increase), counted.reduce((sum, r) => sum + r.requests['/a'] + r.requests['/b'], 0), 'the counter increase');
    const byRoute = await query({ metric: 'e2e.requests', aggregation: 'increase', groupBy: ['http.route'] });
    t.same(
      Object.fromEntries(byRoute.body.series.map((s) => [s.labels['http.route'], s.points[0]?.[1]])),
      { '/a': counted.reduce((sum, r) => sum + r.requests['/a'], 0), '/b': counted.reduce((sum, r) => sum + r.requests['/b'], 0) },
      'per attribute',
    );

    // An up-down counter stays cumulative under the delta preference: its values are 5, 3, 7.
    t.equal(valueOf(await query({ metric: 'e2e.in_flight', aggregation: 'max' })), 7);
    t.equal(valueOf(await query({ metric: 'e2e.in_flight', aggregation: 'min' })), 3);

    const observed = counted.flatMap((r) => r.latencies);
    const p95 = await query({ metric: 'e2e.latency', aggregation: 'p95' });
    t.match(p95.body, { type: 'histogram', unit: 'ms' });
    t.ok(Math.abs((valueOf(p95) as number) - prometheusQuantile(0.95, observed)) < 1e-9, `p95 ${valueOf(p95)} = ${prometheusQuantile(0.95, observed)}`);
    t.equal(valueOf(await query({ metric: 'e2e.latency', aggregation: 'count' })), observed.length);
    t.equal(valueOf(await query({ metric: 'e2e.latency', aggregation: 'sum' })), observed.reduce((a, b) => a + b, 0));

    const sized = sizes.flat().sort((a, b) => a - b);
    const trueMedian = sized[Math.ceil(sized.length / 2) - 1]!;
    const p50 = await query({ metric: 'e2e.payload.size', aggregation: 'p50' });
    t.match(p50.body, { type: 'exponential_histogram' });
    // The estimate lies in the true median's bucket: within 2^(2^-scale) - 1, 9% from scale 3 up (160 buckets over 8-500 give more).
    t.ok(Math.abs((valueOf(p50) as number) / trueMedian - 1) < 0.1, `p50 ${valueOf(p50)} near ${trueMedian}`);

    const gauge = await query({ metric: 'e2e.temperature', aggregation: 'avg', groupBy: ['room'] });
    t.same(gauge.body.series.map((s) => [s.labels, s.points[0]?.[1]]), [[{ room: 'lab' }, 21.5]], 'the observable gauge');
  });
}

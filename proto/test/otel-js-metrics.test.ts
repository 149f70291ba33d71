// Covers: ExportMetricsServiceRequest against the real OpenTelemetry JS
// encoder. Metrics collected by @opentelemetry/sdk-metrics (int counter,
// double up-down counter, explicit-bucket histogram, exponential histogram,
// synchronous and observable gauges) are serialized by otlp-transformer's
// ProtobufMetricsSerializer; our decode must give back names, units, kinds,
// temporality, monotonicity, exact point times, attributes, int/double values
// and every histogram field, and the same document as JsonMetricsSerializer.
import t from 'tap';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, ExportMetricsServiceRequest, decodeMetricsRequest, int64ToBigInt } from '../src/index.ts';
import type { IMetric } from '../src/index.ts';
import { keyValuesToJs } from './helpers/any-value.ts';
import { hrTimeToBigInt } from './helpers/hr-time.ts';
import { otelJsJsonAsMessage, withDefaults } from './helpers/otlp-json.ts';

class CollectOnlyReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function collectMetrics(): Promise<ResourceMetrics> {
  const reader = new CollectOnlyReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'api', 'service.version': '3.1.0' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' }),
    views: [
      { instrumentName: 'http.server.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [5, 10, 25.5] } } },
      { instrumentName: 'rpc.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 20 } } },
    ],
    readers: [reader],
  });
  const meter = provider.getMeter('api-meter', '0.9.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });

  const requests = meter.createCounter('http.server.requests', { unit: '{request}', description: 'Requests served', valueType: ValueType.INT });
  requests.add(5, { 'http.route': '/a', 'http.response.status_code': 200 });
  requests.add(7, { 'http.route': '/b', 'http.response.status_code': 500 });
  requests.add(1, { 'http.route': '/a', 'http.response.status_code': 200 });

  const queue = meter.createUpDownCounter('queue.depth', { valueType: ValueType.DOUBLE });
  queue.add(2.5);
  queue.add(-4);

  const duration = meter.createHistogram('http.server.duration', { unit: 'ms' });
  for (const v of [1, 7, 30, 30, 10]) duration.record(v, { 'http.request.method': 'GET' });

  const latency = meter.createHistogram('rpc.latency', { unit: 's' });
  for (const v of [0, 0.5, 3, 3, 100, 0.001]) latency.record(v);

  const temperature = meter.createGauge('room.temperature', { unit: 'Cel', valueType: ValueType.INT });
  temperature.record(-12, { room: 'cellar' });

  const load = meter.createObservableGauge('system.load', { description: 'One-minute load' });
  load.addCallback((result) => result.observe(0.75, { cpu: 'all' }));

  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new AggregateError(errors);
  await provider.shutdown();
  return resourceMetrics;
}

t.test('metrics serialized by OpenTelemetry JS decode to the collected values', async (t) => {
  const collected = await collectMetrics();
  const request = decodeMetricsRequest(ProtobufMetricsSerializer.serializeRequest(collected)!);

  t.equal(request.resourceMetrics.length, 1);
  const rm = request.resourceMetrics[0]!;
  t.equal(rm.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  t.strictSame(keyValuesToJs(rm.resource!.attributes), { 'service.name': 'api', 'service.version': '3.1.0' });
  t.equal(rm.scopeMetrics.length, 1);
  const sm = rm.scopeMetrics[0]!;
  t.equal(sm.scope!.name, 'api-meter');
  t.equal(sm.scope!.version, '0.9.0');
  t.equal(sm.schemaUrl, 'https://opentelemetry.io/schemas/1.30.0');

  const sdkMetrics = collected.scopeMetrics[0]!.metrics;
  t.equal(sm.metrics.length, sdkMetrics.length);
  const byName = new Map<string, IMetric>(sm.metrics.map((m) => [m.name, m]));

  for (const sdk of sdkMetrics) {
    const got = byName.get(sdk.descriptor.name);
    if (!got) throw new Error(`metric ${sdk.descriptor.name} missing`);
    t.test(sdk.descriptor.name, async (t) => {
      t.equal(got.description, sdk.descriptor.description);
      t.equal(got.unit, sdk.descriptor.unit);
      const isInt = sdk.descriptor.valueType === ValueType.INT;
      const points = (() => {
        switch (sdk.dataPointType) {
          case DataPointType.SUM:
            t.equal(got.data, 'sum');
            t.equal(got.sum!.isMonotonic, sdk.isMonotonic);
            t.equal(got.sum!.aggregationTemporality, AggregationTemporality.CUMULATIVE);
            return got.sum!.dataPoints;
          case DataPointType.GAUGE:
            t.equal(got.data, 'gauge');
            return got.gauge!.dataPoints;
          case DataPointType.HISTOGRAM:
            t.equal(got.data, 'histogram');
            t.equal(got.histogram!.aggregationTemporality, AggregationTemporality.CUMULATIVE);
            return got.histogram!.dataPoints;
          case DataPointType.EXPONENTIAL_HISTOGRAM:
            t.equal(got.data, 'exponentialHistogram');
            t.equal(got.exponentialHistogram!.aggregationTemporality, AggregationTemporality.CUMULATIVE);
            return got.exponentialHistogram!.dataPoints;
        }
      })();
      t.equal(points.length, sdk.dataPoints.length);
      sdk.dataPoints.forEach((point, i) => {
        const gotPoint = points[i]!;
        t.equal(int64ToBigInt(gotPoint.startTimeUnixNano), hrTimeToBigInt(point.startTime));
        t.equal(int64ToBigInt(gotPoint.timeUnixNano), hrTimeToBigInt(point.endTime));
        t.strictSame(keyValuesToJs(gotPoint.attributes), point.attributes);
      });
      if (sdk.dataPointType === DataPointType.SUM || sdk.dataPointType === DataPointType.GAUGE) {
        const numberPoints = (got.sum ?? got.gauge)!.dataPoints;
        sdk.dataPoints.forEach((point, i) => {
          const p = numberPoints[i]!;
          t.equal(p.value, isInt ? 'asInt' : 'asDouble');
          t.equal(isInt ? Number(int64ToBigInt(p.asInt!)) : p.asDouble, point.value);
        });
      } else if (sdk.dataPointType === DataPointType.HISTOGRAM) {
        sdk.dataPoints.forEach((point, i) => {
          const p = got.histogram!.dataPoints[i]!;
          t.equal(int64ToBigInt(p.count), BigInt(point.value.count));
          t.equal(p.sum, point.value.sum ?? null);
          t.equal(p.min, point.value.min ?? null);
          t.equal(p.max, point.value.max ?? null);
          t.strictSame(p.bucketCounts.map(int64ToBigInt), point.value.buckets.counts.map(BigInt));
          t.strictSame(p.explicitBounds, point.value.buckets.boundaries);
        });
      } else {
        sdk.dataPoints.forEach((point, i) => {
          const p = got.exponentialHistogram!.dataPoints[i]!;
          t.equal(int64ToBigInt(p.count), BigInt(point.value.count));
          t.equal(p.sum, point.value.sum ?? null);
          t.equal(p.min, point.value.min ?? null);
          t.equal(p.max, point.value.max ?? null);
          t.equal(p.scale, point.value.scale);
          t.equal(int64ToBigInt(p.zeroCount), BigInt(point.value.zeroCount));
          t.equal(p.positive?.offset ?? 0, point.value.positive.offset);
          t.strictSame((p.positive?.bucketCounts ?? []).map(int64ToBigInt), point.value.positive.bucketCounts.map(BigInt));
          t.equal(p.negative?.offset ?? 0, point.value.negative.offset);
          t.strictSame((p.negative?.bucketCounts ?? []).map(int64ToBigInt), point.value.negative.bucketCounts.map(BigInt));
        });
      }
    });
  }

  // Spot checks against literal values.
  const requests = byName.get('http.server.requests')!;
  t.equal(requests.unit, '{request}');
  t.equal(requests.description, 'Requests served');
  t.equal(requests.sum!.isMonotonic, true);
  t.strictSame(
    requests.sum!.dataPoints.map((p) => [keyValuesToJs(p.attributes)['http.route'], int64ToBigInt(p.asInt!)]).sort(),
    [['/a', 6n], ['/b', 7n]],
  );
  const queue = byName.get('queue.depth')!;
  t.equal(queue.sum!.isMonotonic, false);
  t.equal(queue.sum!.dataPoints[0]!.asDouble, -1.5);
  const duration = byName.get('http.server.duration')!.histogram!.dataPoints[0]!;
  t.equal(int64ToBigInt(duration.count), 5n);
  t.equal(duration.sum, 78);
  t.equal(duration.min, 1);
  t.equal(duration.max, 30);
  t.strictSame(duration.explicitBounds, [5, 10, 25.5]);
  t.strictSame(duration.bucketCounts.map(int64ToBigInt), [1n, 2n, 0n, 2n]);
  const latency = byName.get('rpc.latency')!.exponentialHistogram!.dataPoints[0]!;
  t.equal(int64ToBigInt(latency.count), 6n);
  t.equal(int64ToBigInt(latency.zeroCount), 1n);
  t.equal(latency.min, 0);
  t.equal(latency.max, 100);
  const temperature = byName.get('room.temperature')!.gauge!.dataPoints[0]!;
  t.equal(int64ToBigInt(temperature.asInt!), -12n);
  t.equal(byName.get('system.load')!.gauge!.dataPoints[0]!.asDouble, 0.75);
});

t.test('decode matches the JSON serializer document', async (t) => {
  const collected = await collectMetrics();
  const type = ExportMetricsServiceRequest;
  const fromProto = withDefaults(type, type.decode(ProtobufMetricsSerializer.serializeRequest(collected)!));
  const fromJson = withDefaults(type, otelJsJsonAsMessage(type, JsonMetricsSerializer.serializeRequest(collected)!));
  t.strictSame(fromProto, fromJson);
});

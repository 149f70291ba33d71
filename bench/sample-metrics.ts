// The metrics workload of the ingest benchmark: a realistic protobuf
// ExportMetricsServiceRequest as an OpenTelemetry SDK sends it every export
// interval: one resource, HTTP server metrics (a duration histogram with the
// semantic conventions' default buckets, a request counter) split by route and
// status code, and runtime gauges, cumulative. `pointCount` is approximate:
// the request holds whole metrics.
import { ExportMetricsServiceRequest } from '@justanalytics/proto';

const bounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const routes = ['/api/items/{id}', '/api/cart', '/api/checkout', '/api/search', '/healthz'];
const statuses = [200, 201, 404, 500];

export function sampleMetricsRequest(pointCount: number, instance: number): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const start = now - 3_600_000_000_000n;
  const seriesPerMetric = routes.length * statuses.length;
  const metricsWanted = Math.max(1, Math.round(pointCount / seriesPerMetric));
  const attributes = (route: string, status: number) => [
    { key: 'http.request.method', value: { stringValue: 'GET' } },
    { key: 'http.route', value: { stringValue: route } },
    { key: 'http.response.status_code', value: { intValue: status } },
    { key: 'url.scheme', value: { stringValue: 'https' } },
  ];
  const combinations = routes.flatMap((route) => statuses.map((status) => ({ route, status })));
  const metrics = Array.from({ length: metricsWanted }, (_, m) => {
    const name = m === 0 ? 'http.server.request.duration' : m === 1 ? 'http.server.requests' : `app.custom.metric_${m}`;
    if (m % 3 === 0) {
      return {
        name,
        unit: 's',
        description: 'Duration of HTTP server requests.',
        histogram: {
          aggregationTemporality: 2,
          dataPoints: combinations.map(({ route, status }, i) => {
            const bucketCounts = bounds.map((_, b) => (i * 7 + b * 3) % 50).concat([1]);
            const count = bucketCounts.reduce((a, b) => a + b, 0);
            return { attributes: attributes(route, status), startTimeUnixNano: start.toString(), timeUnixNano: now.toString(), count, sum: count * 0.042, min: 0.001, max: 9.5, bucketCounts, explicitBounds: bounds };
          }),
        },
      };
    }
    if (m % 3 === 1) {
      return {
        name,
        unit: '{request}',
        sum: {
          aggregationTemporality: 2,
          isMonotonic: true,
          dataPoints: combinations.map(({ route, status }, i) => ({ attributes: attributes(route, status), startTimeUnixNano: start.toString(), timeUnixNano: now.toString(), asInt: 1000 + i * 17 })),
        },
      };
    }
    return {
      name,
      unit: 'By',
      gauge: { dataPoints: combinations.map(({ route, status }, i) => ({ attributes: attributes(route, status), timeUnixNano: now.toString(), asDouble: 1e6 + i * 12.5 })) },
    };
  });
  const message = ExportMetricsServiceRequest.fromObject({
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'shop-api' } },
            { key: 'service.instance.id', value: { stringValue: `instance-${instance}` } },
            { key: 'host.name', value: { stringValue: `bench-host-${instance % 4}` } },
          ],
        },
        scopeMetrics: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.201.0' }, metrics }],
      },
    ],
  });
  return Buffer.from(ExportMetricsServiceRequest.encode(message).finish());
}

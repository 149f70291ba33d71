// The span workload the benchmarks share (not a benchmark itself): a realistic
// protobuf ExportTraceServiceRequest as one service's OpenTelemetry SDK sends
// it. Traces of 5 spans: an HTTP server span (15 attributes of the HTTP
// semantic conventions), 3 database client spans (12 attributes of the
// database conventions, the query text among them) and an HTTP client span to
// another service (11). About one trace in 20 fails: its server span has
// status ERROR and an `exception` event with a stack trace; one in 10 has a
// `cache.miss` event. The resource has 15 attributes, as the SDK's resource
// detectors fill it; two scopes (the HTTP and the pg instrumentations). Five
// services; a request's spans are all of one service.
import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest } from '@justanalytics/proto';

export const spansPerTrace = 5;
export const sampleServices = ['frontend', 'checkout', 'cart', 'catalog', 'payments'] as const;

const routes = ['/api/orders/{id}', '/api/cart', '/api/products/{sku}', '/api/checkout', '/api/users/{id}/profile'];
const tables = ['orders', 'order_items', 'customers', 'products', 'inventory'];
const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'okhttp/4.12.0',
];
const stacktrace = [
  'Error: connection terminated unexpectedly',
  '    at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)',
  '    at Object.onceWrapper (node:events:634:28)',
  '    at Connection.emit (node:events:520:28)',
  '    at Socket.<anonymous> (/app/node_modules/pg/lib/connection.js:63:12)',
  '    at OrderRepository.find (/app/src/orders/repository.ts:41:18)',
  '    at OrdersController.get (/app/src/orders/controller.ts:27:31)',
].join('\n');

type Value = { stringValue: string } | { intValue: number } | { boolValue: boolean } | { doubleValue: number };
const text = (key: string, value: string): { key: string; value: Value } => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): { key: string; value: Value } => ({ key, value: { intValue: value } });

/** A request and its trace IDs (16 bytes each, in the order their spans come), so callers can find them in the body. */
export interface SampleTracePayload {
  body: Buffer;
  traceIds: Buffer[];
}

/**
 * `spanCount` spans in traces of 5 (the last trace may be cut short), of the
 * service `variant` picks (default: a random one), started in the last few seconds.
 */
export function sampleTracePayload(spanCount: number, variant = Math.floor(Math.random() * 1000)): SampleTracePayload {
  const service = sampleServices[variant % sampleServices.length]!;
  const downstream = sampleServices[(variant + 1) % sampleServices.length]!;
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceIds = Array.from({ length: Math.ceil(spanCount / spansPerTrace) }, () => randomBytes(16));
  const httpSpans = [];
  const dbSpans = [];
  let serverSpanId = randomBytes(8);
  for (let i = 0; i < spanCount; i++) {
    const t = Math.floor(i / spansPerTrace);
    const role = i % spansPerTrace;
    const failed = (t + variant) % 20 === 0;
    const route = routes[(t + variant) % routes.length]!;
    const table = tables[(t * 3 + role) % tables.length]!;
    // The trace began 10-60 ms ago plus up to 2 s; its children start inside it.
    const traceStart = now - BigInt(2_000_000_000 - ((t * 7_919_000) % 1_990_000_000));
    const traceNs = BigInt(10_000_000 + ((t * 104_729) % 50_000_000));
    const spanId = role === 0 ? (serverSpanId = randomBytes(8)) : randomBytes(8);
    const common = { traceId: traceIds[t], spanId, parentSpanId: role === 0 ? undefined : serverSpanId, flags: 1 };
    if (role === 0) {
      const status = failed ? 500 : route === '/api/checkout' ? 201 : 200;
      const id = 1000 + ((t * 7_717 + variant) % 90_000);
      const events = [];
      if (failed) {
        events.push({
          timeUnixNano: (traceStart + traceNs - 1_000_000n).toString(),
          name: 'exception',
          attributes: [text('exception.type', 'Error'), text('exception.message', 'connection terminated unexpectedly'), text('exception.stacktrace', stacktrace)],
        });
      } else if (t % 10 === 3) {
        events.push({ timeUnixNano: (traceStart + 1_000_000n).toString(), name: 'cache.miss', attributes: [text('cache.key', `${route}:${id}`)] });
      }
      httpSpans.push({
        ...common,
        name: `${route.startsWith('/api/checkout') ? 'POST' : 'GET'} ${route}`,
        kind: 2,
        startTimeUnixNano: traceStart.toString(),
        endTimeUnixNano: (traceStart + traceNs).toString(),
        attributes: [
          text('http.request.method', route.startsWith('/api/checkout') ? 'POST' : 'GET'),
          text('http.route', route),
          int('http.response.status_code', status),
          text('url.path', route.replace(/\{[a-z]+\}/, String(id))),
          text('url.scheme', 'https'),
          text('url.query', `ref=email&page=${t % 7}`),
          text('server.address', `${service}.shop.internal`),
          int('server.port', 8080),
          text('network.protocol.version', '1.1'),
          text('client.address', `10.0.${t % 16}.${(t * 31) % 250}`),
          text('network.peer.address', `10.1.0.${t % 200}`),
          int('network.peer.port', 40_000 + ((t * 13) % 20_000)),
          text('user_agent.original', userAgents[t % userAgents.length]!),
          int('http.response.body.size', 512 + ((t * 97) % 8192)),
          text('customer.id', `cust-${(t * 7_717 + variant) % 50_000}`),
        ],
        events,
        status: failed ? { code: 2, message: 'connection terminated unexpectedly' } : { code: 0 },
      });
    } else if (role < 4) {
      const operation = role === 3 && t % 4 === 0 ? 'UPDATE' : 'SELECT';
      const start = traceStart + BigInt(role) * 2_000_000n;
      dbSpans.push({
        ...common,
        name: `${operation} ${table}`,
        kind: 3,
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: (start + BigInt(300_000 + ((t * 7 + role) % 40) * 50_000)).toString(),
        attributes: [
          text('db.system.name', 'postgresql'),
          text('db.namespace', 'shop'),
          text('db.operation.name', operation),
          text('db.collection.name', table),
          text('db.query.summary', `${operation} ${table}`),
          text(
            'db.query.text',
            operation === 'SELECT'
              ? `SELECT id, status, total, created_at, updated_at FROM ${table} WHERE customer_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 50`
              : `UPDATE ${table} SET status = $1, updated_at = now() WHERE id = $2`,
          ),
          text('server.address', 'postgres.shop.internal'),
          int('server.port', 5432),
          text('network.peer.address', '10.2.0.5'),
          int('network.peer.port', 5432),
          int('db.response.returned_rows', operation === 'SELECT' ? (t * 11 + role) % 50 : 0),
          text('db.client.connection.pool.name', 'shop-primary'),
        ],
        events: [],
        status: { code: 0 },
      });
    } else {
      const start = traceStart + 8_000_000n;
      httpSpans.push({
        ...common,
        name: 'POST',
        kind: 3,
        startTimeUnixNano: start.toString(),
        endTimeUnixNano: (start + BigInt(1_000_000 + ((t * 31) % 20) * 100_000)).toString(),
        attributes: [
          text('http.request.method', 'POST'),
          text('url.full', `https://${downstream}.shop.internal:8080/internal/v1/${downstream}`),
          text('url.scheme', 'https'),
          text('server.address', `${downstream}.shop.internal`),
          int('server.port', 8080),
          int('http.response.status_code', 200),
          text('network.protocol.version', '1.1'),
          text('network.peer.address', `10.3.0.${t % 200}`),
          int('network.peer.port', 8080),
          int('http.request.body.size', 256 + ((t * 53) % 2048)),
          text('peer.service', downstream),
        ],
        events: [],
        status: { code: 0 },
      });
    }
  }
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: {
          attributes: [
            text('service.name', service),
            text('service.namespace', 'shop'),
            text('service.version', '1.4.2'),
            text('service.instance.id', `${service}-${variant % 4}`),
            text('deployment.environment.name', 'production'),
            text('host.name', `node-${variant % 3}`),
            text('host.arch', 'amd64'),
            text('os.type', 'linux'),
            text('process.runtime.name', 'nodejs'),
            text('process.runtime.version', '24.1.0'),
            int('process.pid', 4_000 + (variant % 4)),
            text('telemetry.sdk.name', 'opentelemetry'),
            text('telemetry.sdk.language', 'nodejs'),
            text('telemetry.sdk.version', '2.2.0'),
            text('k8s.pod.name', `${service}-7d9f8b6c5-${variant % 4}x2k`),
          ],
        },
        scopeSpans: [
          { scope: { name: '@opentelemetry/instrumentation-http', version: '0.201.0' }, spans: httpSpans },
          { scope: { name: '@opentelemetry/instrumentation-pg', version: '0.54.0' }, spans: dbSpans },
        ].filter((scope) => scope.spans.length > 0),
      },
    ],
  });
  return { body: Buffer.from(ExportTraceServiceRequest.encode(message).finish()), traceIds };
}

/** The body of sampleTracePayload alone. */
export function sampleTraceRequest(spanCount: number, variant?: number): Buffer {
  return sampleTracePayload(spanCount, variant).body;
}

// Protobuf decode benchmark: how many spans/s @justanalytics/proto decodes from
// a realistic ExportTraceServiceRequest (512 spans, 10 attributes each, one
// event on every 8th span), single-threaded, no I/O.
//
//   node bench/proto-decode.ts
//   BENCH_SECONDS=10 node bench/proto-decode.ts    (default 5 s)
import { randomBytes } from 'node:crypto';
import { ExportTraceServiceRequest, decodeTraceRequest } from '@justanalytics/proto';

const spansPerRequest = 512;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

function makeRequest(): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n;
  const traceId = randomBytes(16);
  const spans = Array.from({ length: spansPerRequest }, (_, i) => ({
    traceId,
    spanId: randomBytes(8),
    parentSpanId: i === 0 ? undefined : randomBytes(8),
    name: `GET /api/items/{id}#${i % 20}`,
    kind: 2,
    startTimeUnixNano: (now - 3_000_000n).toString(),
    endTimeUnixNano: now.toString(),
    attributes: [
      { key: 'http.request.method', value: { stringValue: 'GET' } },
      { key: 'http.route', value: { stringValue: '/api/items/{id}' } },
      { key: 'http.response.status_code', value: { intValue: 200 } },
      { key: 'url.full', value: { stringValue: `https://shop.example.com/api/items/${i}?ref=home` } },
      { key: 'server.address', value: { stringValue: 'shop.example.com' } },
      { key: 'server.port', value: { intValue: 443 } },
      { key: 'network.protocol.version', value: { stringValue: '1.1' } },
      { key: 'user_agent.original', value: { stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36' } },
      { key: 'db.duration_ratio', value: { doubleValue: 0.42 } },
      { key: 'cache.hit', value: { boolValue: i % 3 === 0 } },
    ],
    events: i % 8 === 0 ? [{ timeUnixNano: now.toString(), name: 'cache.miss', attributes: [{ key: 'cache.key', value: { stringValue: `item:${i}` } }] }] : [],
    status: { code: 1 },
  }));
  const request = ExportTraceServiceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop-api' } }, { key: 'service.version', value: { stringValue: '4.2.0' } }] },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.201.0' }, spans }],
    }],
  });
  return ExportTraceServiceRequest.encode(request).finish();
}

const body = makeRequest();
// Warm up so the JIT has compiled protobufjs' generated decoders.
for (let i = 0; i < 200; i++) decodeTraceRequest(body);

let requests = 0;
const started = performance.now();
const deadline = started + seconds * 1000;
while (performance.now() < deadline) {
  for (let i = 0; i < 20; i++) decodeTraceRequest(body);
  requests += 20;
}
const elapsed = (performance.now() - started) / 1000;
const spansPerSecond = (requests * spansPerRequest) / elapsed;
console.log(`request: ${spansPerRequest} spans, ${(body.length / 1024).toFixed(1)} KiB`);
console.log(`decoded ${requests} requests in ${elapsed.toFixed(2)} s: ${Math.round(spansPerSecond).toLocaleString('en-US')} spans/s (${(body.length * requests / elapsed / 1048576).toFixed(1)} MiB/s)`);

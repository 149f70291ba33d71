// Protobuf decode benchmark: how many spans/s @justanalytics/proto decodes from
// a realistic ExportTraceServiceRequest (bench/sample-spans.ts: 512 spans of
// 5-span traces, 11-15 attributes each, events and exceptions on some),
// single-threaded, no I/O.
//
//   node bench/proto-decode.ts
//   BENCH_SECONDS=10 node bench/proto-decode.ts    (default 5 s)
import { decodeTraceRequest } from '@justanalytics/proto';
import { sampleTraceRequest } from './sample-spans.ts';

const spansPerRequest = 512;
const seconds = Number(process.env.BENCH_SECONDS ?? 5);

const body = sampleTraceRequest(spansPerRequest);
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

// Ingest benchmark: OTLP protobuf exports of 512 spans (64 traces of 8 spans)
// each into `justanalytics serve` running as its own process, over OTLP/HTTP and
// OTLP/gRPC, from 1 and from 8 concurrent clients (on gRPC: concurrent calls on one
// channel, as an exporter makes them); prints spans/s acknowledged
// (every acknowledged span is committed in PostgreSQL). Then logs: exports of
// 200 log records each over OTLP/HTTP protobuf from 8 clients, printing logs/s;
// then metrics: exports of 200 data points each, the same way; then track:
// single-event /api/track requests as browsers send them, from 8 clients.
//
//   npm run bench                       embedded PostgreSQL in a temp dir, every signal
//   npm run bench -- logs               one signal only (ingest is spans, logs, metrics, track)
//   DATABASE_URL=postgres://… npm run bench
//   BENCH_SECONDS=20 npm run bench      longer phases (default 10 s each)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { sampleLogsRequest } from './sample-logs.ts';
import { sampleMetricsRequest } from './sample-metrics.ts';
import { sampleTraceRequest } from './sample-spans.ts';
import { sampleTrackRequests, type TrackRequest } from './sample-track.ts';

const spansPerRequest = 512;
const logsPerRequest = 200;
const pointsPerRequest = 200;
// Which signals: `npm run bench -- <phase>` (bench/main.ts) passes the phase on.
const only = process.argv[2] === 'logs' || process.argv[2] === 'metrics' || process.argv[2] === 'track' ? process.argv[2] : null;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

/** One transport's connection(s): `send` resolves true when the export was acknowledged. */
interface Exporter {
  send(body: Buffer): Promise<boolean>;
  close(): void;
}

function httpExporter(port: number, key: string, clients: number, path = '/v1/traces'): Exporter {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const headers = { 'content-type': 'application/x-protobuf', authorization: `Bearer ${key}` };
  return {
    send: (body) =>
      new Promise((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** /api/track: each payload index picks a prepared request (body and the browser's headers); 202 is acknowledged. */
function trackExporter(port: number, clients: number, requests: readonly TrackRequest[]): Exporter {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  return {
    send: (index) =>
      new Promise((resolve, reject) => {
        const { body, headers } = requests[index.readUInt32LE(0)]!;
        const req = request({ agent, host: '127.0.0.1', port, path: '/api/track', method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 202 && res.headers['x-justanalytics-dropped'] === undefined));
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function grpcExporter(port: number, key: string): Exporter {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  const raw = (buffer: Buffer): Buffer => buffer;
  return {
    send: (body) =>
      new Promise((resolve) => {
        client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', raw, raw, body, metadata, (error) => resolve(error === null));
      }),
    close: () => client.close(),
  };
}

async function phase(clients: number, exporter: Exporter, payloads: Buffer[], itemsPerRequest = spansPerRequest): Promise<{ itemsPerSecond: number; rejected: number }> {
  let items = 0;
  let rejected = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        if (await exporter.send(payloads[next++ % payloads.length]!)) items += itemsPerRequest;
        else rejected++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  exporter.close();
  return { itemsPerSecond: Math.round(items / elapsed), rejected };
}

function notAcknowledged(rejected: number): string {
  return rejected ? `, ${rejected} requests not acknowledged` : '';
}

const dataDir = await mkdtemp(join(tmpdir(), 'ja-bench-'));
const server = spawn(
  process.execPath,
  [new URL('../backend/bin/justanalytics.js', import.meta.url).pathname, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'],
  // The track phase sends each visitor's address in X-Forwarded-For, as a proxy on this host would.
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JUSTANALYTICS_TRUSTED_PROXIES: '127.0.0.1' } },
);
try {
  // The first-run banner on stdout carries the ingest key, the "serving" log line on stderr the port.
  let key = '';
  let siteId = '';
  createInterface({ input: server.stdout }).on('line', (line) => {
    key ||= /^\s*ingest key\s+(ja_sk_[A-Za-z0-9_-]+)/.exec(line)?.[1] ?? '';
    siteId ||= /created site (\d+)/.exec(line)?.[1] ?? '';
  });
  const ports = await new Promise<{ otlpHttpPort: number; otlpGrpcPort: number }>((resolve, reject) => {
    createInterface({ input: server.stderr }).on('line', (line) => {
      if (line.includes('justanalytics is serving')) resolve(JSON.parse(line) as { otlpHttpPort: number; otlpGrpcPort: number });
    });
    server.on('exit', () => reject(new Error('serve exited before it was ready')));
  });
  if (!key) throw new Error('bench needs an empty database (it uses the ingest key of the default site)');
  const payloads = Array.from({ length: 64 }, () => sampleTraceRequest(spansPerRequest));
  console.log(
    `ingest bench: ${spansPerRequest} spans/request, ${seconds} s per phase, ${cpus().length} cores, ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}`,
  );
  await phase(2, httpExporter(ports.otlpHttpPort, key, 2), payloads.slice(0, 4)); // warm-up
  if (only === null) {
    const transports: Array<[string, (clients: number) => Exporter]> = [
      ['OTLP/HTTP', (clients) => httpExporter(ports.otlpHttpPort, key, clients)],
      ['OTLP/gRPC', () => grpcExporter(ports.otlpGrpcPort, key)],
    ];
    for (const [transport, exporter] of transports) {
      for (const clients of [1, 8]) {
        const result = await phase(clients, exporter(clients), payloads);
        console.log(`${transport}, ${clients} client${clients > 1 ? 's' : ''}: ${result.itemsPerSecond} spans/s${notAcknowledged(result.rejected)}`);
      }
    }
  }
  if (only === null || only === 'logs') {
    const logPayloads = Array.from({ length: 64 }, () => sampleLogsRequest(logsPerRequest));
    const logs = await phase(8, httpExporter(ports.otlpHttpPort, key, 8, '/v1/logs'), logPayloads, logsPerRequest);
    console.log(`logs, OTLP/HTTP, 8 clients (${logsPerRequest} records/request): ${logs.itemsPerSecond} logs/s${notAcknowledged(logs.rejected)}`);
  }
  if (only === null || only === 'metrics') {
    const metricPayloads = Array.from({ length: 64 }, (_, instance) => sampleMetricsRequest(pointsPerRequest, instance));
    const metrics = await phase(8, httpExporter(ports.otlpHttpPort, key, 8, '/v1/metrics'), metricPayloads, pointsPerRequest);
    console.log(`metrics, OTLP/HTTP, 8 clients (${pointsPerRequest} points/request): ${metrics.itemsPerSecond} points/s${notAcknowledged(metrics.rejected)}`);
  }
  if (only === null || only === 'track') {
    const requests = sampleTrackRequests(siteId, 20_000);
    // The exporter is handed each request's index, four bytes, in place of a body.
    const indexes = requests.map((_, i) => {
      const index = Buffer.alloc(4);
      index.writeUInt32LE(i);
      return index;
    });
    // Browsers are many, each with one request at a time: so many connections at once, each sending its next
    // event once the last was answered (BENCH_TRACK_BROWSERS, default 256).
    const browsers = Number(process.env.BENCH_TRACK_BROWSERS ?? 256);
    const track = await phase(browsers, trackExporter(ports.otlpHttpPort, browsers, requests), indexes, 1);
    console.log(`track, /api/track, ${browsers} concurrent browsers (1 event/request): ${track.itemsPerSecond} events/s${notAcknowledged(track.rejected)}`);
  }
} finally {
  server.kill('SIGTERM');
  if (server.exitCode === null) await once(server, 'exit');
  await rm(dataDir, { recursive: true, force: true });
}

// Ingest benchmark: pre-encoded OTLP protobuf exports into `justanalytics
// serve` running as its own process, each phase measuring what was
// acknowledged (items/s), the rows counted in the database afterwards (they
// must match: an acknowledged item is a committed row), the export latency
// (p50/p99), and the server's peak RSS and CPU (and the embedded PostgreSQL's
// CPU). Spans: 200-span requests (bench/sample-spans.ts: 5 services, HTTP and
// database spans of 11-15 attributes, exceptions), every send with new trace
// IDs, over OTLP/HTTP and OTLP/gRPC (concurrent calls on one channel, as an
// exporter makes them) from 1 and 8 clients. Then the storage limit: the same
// span rows COPYed straight into a bare copy of the spans table
// (bench/copy-limit.ts); the headline is OTLP/HTTP with 8 clients ÷ that.
// Then logs (200 records a request) and metrics (200 points) over OTLP/HTTP
// from 8 clients, and track: single-event /api/track requests as browsers send
// them. Results go to bench/results/ingest-<date>.json and .md.
//
//   npm run bench                       embedded PostgreSQL in a temp dir, every signal
//   npm run bench -- logs               one signal only (ingest is spans, logs, metrics, track)
//   DATABASE_URL=postgres://… npm run bench   (an empty database; no PostgreSQL CPU figures then)
//   BENCH_SECONDS=20 npm run bench      longer phases (default 10 s each)
//   BENCH_SPANS_PER_REQUEST=500         spans a request (default 200)
//   BENCH_COPY_WRITERS=2 BENCH_COPY_REQUESTS=10   the storage limit's connections and requests' rows per COPY (default 2 and 10)
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { DatabaseHandle } from '../backend/src/db/connect.ts';
import { httpExporter, startBenchServer, trackExporter, trackIndexes, type Exporter } from './bench-server.ts';
import { measureCopyLimit, type CopyLimit } from './copy-limit.ts';
import { databaseSettings } from './database-settings.ts';
import { FreshTraceIds } from './fresh-trace-ids.ts';
import { latencyOf } from './latency.ts';
import { cpuSeconds, descendantsCpuSeconds, peakRssMiB, resetPeakRss } from './process-usage.ts';
import { machineDescription, writeResults, type IngestPhase, type IngestResults } from './results.ts';
import { sampleLogsRequest } from './sample-logs.ts';
import { sampleMetricsRequest } from './sample-metrics.ts';
import { sampleTracePayload } from './sample-spans.ts';
import { storagePerSpan, type SpanStorage } from './storage-per-span.ts';
import { sampleTrackRequests } from './sample-track.ts';

const spansPerRequest = Number(process.env.BENCH_SPANS_PER_REQUEST ?? 200);
const logsPerRequest = 200;
const pointsPerRequest = 200;
const payloadCount = 128;
// Which signals: `npm run bench -- <phase>` (bench/main.ts) passes the phase on.
const only = process.argv[2] === 'logs' || process.argv[2] === 'metrics' || process.argv[2] === 'track' ? process.argv[2] : null;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
// Two connections of 2,000-row COPYs: like the sink's two flushes in flight; the fastest of 8×200, 2×200, 2×2,000, 8×2,000, 4×1,000, 1×10,000 rows measured on 2 cores.
const copyWriters = Number(process.env.BENCH_COPY_WRITERS ?? 2);
const copyRequests = Number(process.env.BENCH_COPY_REQUESTS ?? 10);

/** The table each signal's items land in, one row an item. */
const tables = { traces: 'spans', logs: 'logs', metrics: 'metric_points', track: 'events' } as const;
type Signal = keyof typeof tables;

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

/** What a phase needs besides its exporter: the server, the database and the site. */
interface Target {
  serverPid: number;
  db: DatabaseHandle;
  siteId: string;
  /** Whether the database is the server's embedded PostgreSQL (its processes are the server's children). */
  embedded: boolean;
}

async function countRows(target: Target, signal: Signal): Promise<number> {
  const { rows } = await target.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${tables[signal]} WHERE site_id = $1`, [target.siteId]);
  return Number(rows[0]!.n);
}

/**
 * Sends for `seconds` from `clients` concurrent clients, each its next payload once the last was answered.
 * `payloads` are called for each send: a span payload renews its trace IDs there.
 */
async function phase(
  target: Target,
  what: { name: string; signal: Signal; transport: string; clients: number; itemsPerRequest: number },
  exporter: Exporter,
  payloads: ReadonlyArray<() => Buffer>,
): Promise<IngestPhase> {
  const rowsBefore = await countRows(target, what.signal);
  const peakReset = resetPeakRss(target.serverPid);
  const serverCpuBefore = cpuSeconds(target.serverPid);
  const databaseCpuBefore = target.embedded ? descendantsCpuSeconds(target.serverPid) : NaN;
  const clientCpuBefore = process.cpuUsage();
  let requests = 0;
  let rejected = 0;
  let next = 0;
  const samples: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: what.clients }, async () => {
      while (performance.now() < end) {
        const body = payloads[next++ % payloads.length]!();
        const sent = performance.now();
        const acknowledged = await exporter.send(body);
        samples.push(performance.now() - sent);
        if (acknowledged) requests++;
        else rejected++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  exporter.close();
  const serverCpu = cpuSeconds(target.serverPid) - serverCpuBefore;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const databaseCpu = target.embedded ? descendantsCpuSeconds(target.serverPid) - databaseCpuBefore : NaN;
  const peakRss = peakRssMiB(target.serverPid);
  const acknowledged = requests * what.itemsPerRequest;
  const rowsCounted = (await countRows(target, what.signal)) - rowsBefore;
  const result: IngestPhase = {
    ...what,
    table: tables[what.signal],
    seconds: Math.round(elapsed * 10) / 10,
    requests,
    rejectedRequests: rejected,
    acknowledged,
    itemsPerSecond: Math.round(acknowledged / elapsed),
    rowsCounted,
    latencyMs: latencyOf(samples),
    server: { peakRssMiB: peakRss, peakSincePhaseStart: peakReset, cpuCores: round2(serverCpu / elapsed) },
    database: target.embedded ? { cpuCores: round2(databaseCpu / elapsed) } : null,
    // On one machine the load generator takes CPU from the server and the database too.
    client: { cpuCores: round2((clientCpu.user + clientCpu.system) / 1e6 / elapsed) },
  };
  const mismatch = rowsCounted === acknowledged ? '' : ` (ROWS COUNTED ${rowsCounted} ≠ ACKNOWLEDGED ${acknowledged})`;
  console.log(
    `${what.name}: ${result.itemsPerSecond.toLocaleString('en-US')} ${what.signal === 'traces' ? 'spans' : what.signal === 'track' ? 'events' : what.signal === 'logs' ? 'records' : 'points'}/s, ` +
      `${rowsCounted.toLocaleString('en-US')} rows counted${mismatch}, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `server ${peakRss} MiB peak, ${result.server.cpuCores} cores` +
      (result.database ? `, PostgreSQL ${result.database.cpuCores} cores` : '') +
      `, bench client ${result.client.cpuCores} cores` +
      (rejected ? `, ${rejected} requests not acknowledged` : ''),
  );
  return result;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

const bench = await startBenchServer();
try {
  const { db, siteId, key, ports, embedded } = bench;
  const target: Target = { serverPid: bench.pid, db, siteId, embedded };
  const settings = await databaseSettings(db.pool);
  console.log(`ingest bench: ${spansPerRequest} spans/request, ${seconds} s per phase, ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'} ${settings.server_version}`);

  const phases: IngestPhase[] = [];
  let storageLimit: CopyLimit | null = null;
  let spanStorage: SpanStorage | null = null;
  const spanPayloads = Array.from({ length: payloadCount }, (_, variant) => sampleTracePayload(spansPerRequest, variant));
  const spanBodies = spanPayloads.map((payload) => {
    const fresh = new FreshTraceIds(payload.body, payload.traceIds, false);
    return () => fresh.renew();
  });
  const spans = { signal: 'traces' as const, itemsPerRequest: spansPerRequest };
  // Warm-up: JIT, connections, today's partitions.
  await phase(target, { ...spans, name: 'warm-up', transport: 'OTLP/HTTP', clients: 2 }, httpExporter(ports.otlpHttpPort, key, 2), spanBodies);
  if (only === null) {
    const transports: Array<[string, (clients: number) => Exporter]> = [
      ['OTLP/HTTP', (clients) => httpExporter(ports.otlpHttpPort, key, clients)],
      ['OTLP/gRPC', () => grpcExporter(ports.otlpGrpcPort, key)],
    ];
    for (const [transport, exporter] of transports) {
      for (const clients of [1, 8]) {
        const name = `spans, ${transport}, ${clients} client${clients > 1 ? 's' : ''}`;
        phases.push(await phase(target, { ...spans, name, transport, clients }, exporter(clients), spanBodies));
      }
    }
    spanStorage = await storagePerSpan(db.db);
    console.log(`storage: ${spanStorage.bytesPerSpan} bytes per span over ${spanStorage.spans.toLocaleString('en-US')} spans`);
    const databaseCpuSeconds = embedded ? () => descendantsCpuSeconds(target.serverPid) : undefined;
    storageLimit = await measureCopyLimit(db.pool, siteId, spanPayloads, { seconds, writers: copyWriters, requestsPerCopy: copyRequests, databaseCpuSeconds });
    const copied = storageLimit.rowsCounted - storageLimit.warmUpRows;
    console.log(
      `storage limit, raw COPY (${storageLimit.writers} connections × ${storageLimit.rowsPerCopy} rows): ${storageLimit.rowsPerSecond.toLocaleString('en-US')} rows/s, ` +
        `p50 ${storageLimit.latency.p50} ms, p99 ${storageLimit.latency.p99} ms` +
        (storageLimit.databaseCpuCores === null ? '' : `, PostgreSQL ${storageLimit.databaseCpuCores} cores`) +
        `${copied === storageLimit.rows ? '' : ` (ROWS COUNTED ${copied} ≠ COPIED ${storageLimit.rows})`}`,
    );
  }
  if (only === null || only === 'logs') {
    const bodies = Array.from({ length: 64 }, () => sampleLogsRequest(logsPerRequest)).map((body) => () => body);
    const what = { name: 'logs, OTLP/HTTP, 8 clients', signal: 'logs' as const, transport: 'OTLP/HTTP', clients: 8, itemsPerRequest: logsPerRequest };
    phases.push(await phase(target, what, httpExporter(ports.otlpHttpPort, key, 8, '/v1/logs'), bodies));
  }
  if (only === null || only === 'metrics') {
    const bodies = Array.from({ length: 64 }, (_, instance) => sampleMetricsRequest(pointsPerRequest, instance)).map((body) => () => body);
    const what = { name: 'metrics, OTLP/HTTP, 8 clients', signal: 'metrics' as const, transport: 'OTLP/HTTP', clients: 8, itemsPerRequest: pointsPerRequest };
    phases.push(await phase(target, what, httpExporter(ports.otlpHttpPort, key, 8, '/v1/metrics'), bodies));
  }
  if (only === null || only === 'track') {
    const requests = sampleTrackRequests(siteId, 20_000);
    // The exporter is handed each request's index, four bytes, in place of a body.
    const indexes = trackIndexes(requests.length).map((index) => () => index);
    // Browsers are many, each with one request at a time: so many connections at once, each sending its next
    // event once the last was answered (BENCH_TRACK_BROWSERS, default 256).
    const browsers = Number(process.env.BENCH_TRACK_BROWSERS ?? 256);
    const what = { name: `track, /api/track, ${browsers} browsers`, signal: 'track' as const, transport: 'HTTP JSON', clients: browsers, itemsPerRequest: 1 };
    phases.push(await phase(target, what, trackExporter(ports.otlpHttpPort, browsers, requests), indexes));
  }

  const headlinePhase = phases.find((p) => p.signal === 'traces' && p.transport === 'OTLP/HTTP' && p.clients === 8);
  const results: IngestResults = {
    machine: await machineDescription(),
    database: Object.entries(settings).map(([name, value]) => `${name}=${value}`).join(', '),
    settings,
    embedded,
    secondsPerPhase: seconds,
    spansPerRequest,
    phases,
    storageLimit,
    spanStorage,
    headline:
      headlinePhase && storageLimit
        ? {
            phase: headlinePhase.name,
            spansPerSecond: headlinePhase.itemsPerSecond,
            copyRowsPerSecond: storageLimit.rowsPerSecond,
            ratio: Math.round((headlinePhase.itemsPerSecond / storageLimit.rowsPerSecond) * 100) / 100,
          }
        : null,
  };
  if (results.headline) console.log(`headline: ${results.headline.spansPerSecond.toLocaleString('en-US')} spans/s = ${results.headline.ratio} of raw COPY`);
  await writeResults('ingest', results);
} finally {
  await bench.stop();
}

// Memory soak: `justanalytics serve` (bench/bench-server.ts) under a steady
// load of spans, logs and analytics events at once for BENCH_SOAK_SECONDS
// (default 600), measuring the goal "server peak RSS < 400 MB and flat over
// 10 minutes of load". Spans over OTLP/HTTP (bench/steady-ingest.ts, new trace
// IDs on every send), logs over OTLP/HTTP (200-record requests,
// bench/sample-logs.ts) and single-event /api/track requests
// (bench/sample-track.ts), each started on a clock; a request due while the
// signal's cap of requests is in flight is skipped, not queued. The server's
// VmRSS is sampled every 5 s; reported are its peak (VmHWM at the end), the
// mean of the first and the last minute after a 60 s warm-up, and the slope
// after the warm-up (MiB per minute, least squares: flat is near 0); and per
// signal the items acknowledged, the rows counted afterwards (they must
// match), the requests not acknowledged or skipped and the export latency.
// Results go to bench/results/soak-<date>.json and .md.
//
//   npm run bench -- soak
//   BENCH_SOAK_SECONDS=1800 npm run bench -- soak     longer (runs under 4 minutes shorten the warm-up and the windows)
//   BENCH_SOAK_SPANS_PER_SECOND=6000 BENCH_SOAK_LOGS_PER_SECOND=1000 BENCH_SOAK_EVENTS_PER_SECOND=1000   the defaults
//   DATABASE_URL=postgres://… npm run bench -- soak   (an empty database; no PostgreSQL CPU figure then)
import { setTimeout as sleep } from 'node:timers/promises';
import { httpExporter, startBenchServer, trackExporter, trackIndexes } from './bench-server.ts';
import { databaseSettings } from './database-settings.ts';
import { latencyOf } from './latency.ts';
import { cpuSeconds, descendantsCpuSeconds, peakRssMiB, rssMiB } from './process-usage.ts';
import { machineDescription, rssByMinute, writeResults, type SoakResults, type SoakSignal } from './results.ts';
import { sampleLogsRequest } from './sample-logs.ts';
import { sampleTrackRequests } from './sample-track.ts';
import { startPaced, startSteadyIngest, type Tally } from './steady-ingest.ts';

const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const spansPerSecond = Number(process.env.BENCH_SOAK_SPANS_PER_SECOND ?? 6000);
const logsPerSecond = Number(process.env.BENCH_SOAK_LOGS_PER_SECOND ?? 1000);
const eventsPerSecond = Number(process.env.BENCH_SOAK_EVENTS_PER_SECOND ?? 1000);
const spansPerRequest = 200;
const logsPerRequest = 200;
const maxInFlight = { traces: 16, logs: 16, track: 256 } as const;
const sampleEverySeconds = 5;
// 60 s each on a 10-minute run; a short run keeps some samples after its warm-up.
const warmUpSeconds = Math.min(60, Math.floor(seconds / 4));
const windowSeconds = Math.min(60, Math.floor((seconds - warmUpSeconds) / 2));
const tables = { traces: 'spans', logs: 'logs', track: 'events' } as const;

function mean(values: readonly number[]): number | null {
  return values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : null;
}

/** Least-squares slope of RSS over time, in MiB per minute. */
function slopePerMinute(samples: SoakResults['rssSamples']): number | null {
  if (samples.length < 2) return null;
  const mt = samples.reduce((a, s) => a + s.seconds, 0) / samples.length;
  const mr = samples.reduce((a, s) => a + s.rssMiB, 0) / samples.length;
  const num = samples.reduce((a, s) => a + (s.seconds - mt) * (s.rssMiB - mr), 0);
  const den = samples.reduce((a, s) => a + (s.seconds - mt) ** 2, 0);
  return den === 0 ? null : Math.round((num / den) * 60 * 100) / 100;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

const bench = await startBenchServer();
try {
  const { db, siteId, key, ports, embedded, pid } = bench;
  const countRows = async (table: string): Promise<number> =>
    Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE site_id = $1`, [siteId])).rows[0]!.n);
  const settings = await databaseSettings(db.pool);
  console.log(
    `soak bench: ${seconds} s of ${spansPerSecond} spans/s, ${logsPerSecond} log records/s and ${eventsPerSecond} events/s at once, ` +
      `RSS every ${sampleEverySeconds} s, ${warmUpSeconds} s warm-up, ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'} ${settings.server_version}`,
  );
  const logBodies = Array.from({ length: 64 }, () => sampleLogsRequest(logsPerRequest));
  const trackRequests = sampleTrackRequests(siteId, 20_000);
  const indexes = trackIndexes(trackRequests.length);
  const rowsBefore = { traces: await countRows(tables.traces), logs: await countRows(tables.logs), track: await countRows(tables.track) };

  const serverCpuBefore = cpuSeconds(pid);
  const postgresCpuBefore = embedded ? descendantsCpuSeconds(pid) : NaN;
  const spans = startSteadyIngest(ports.otlpHttpPort, key, spansPerSecond, spansPerRequest, maxInFlight.traces);
  const logs = startPaced(httpExporter(ports.otlpHttpPort, key, maxInFlight.logs, '/v1/logs'), logsPerSecond, logsPerRequest, maxInFlight.logs, (i) => logBodies[i % logBodies.length]!);
  const track = startPaced(trackExporter(ports.otlpHttpPort, maxInFlight.track, trackRequests), eventsPerSecond, 1, maxInFlight.track, (i) => indexes[i % indexes.length]!);
  // The clock starts once the senders have (startSteadyIngest prepares its payloads first).
  const started = performance.now();
  const clientCpuBefore = process.cpuUsage();
  const at = (): number => Math.round((performance.now() - started) / 100) / 10;
  const rssSamples: SoakResults['rssSamples'] = [{ seconds: 0, rssMiB: rssMiB(pid) }];
  const sampler = setInterval(() => {
    const sample = { seconds: at(), rssMiB: rssMiB(pid) };
    rssSamples.push(sample);
    // A line a minute: how it goes so far.
    if (Math.floor(sample.seconds / 60) > Math.floor((sample.seconds - sampleEverySeconds) / 60)) {
      const rate = (t: Tally): string => Math.round(t.acknowledged / sample.seconds).toLocaleString('en-US');
      console.log(`  ${Math.round(sample.seconds)} s: server RSS ${sample.rssMiB} MiB; acknowledged ${rate(spans.tally())} spans/s, ${rate(logs.tally())} records/s, ${rate(track.tally())} events/s`);
    }
  }, sampleEverySeconds * 1000);
  await sleep(seconds * 1000);
  clearInterval(sampler);
  rssSamples.push({ seconds: at(), rssMiB: rssMiB(pid) });
  await Promise.all([spans.stop(), logs.stop(), track.stop()]);
  const elapsed = (performance.now() - started) / 1000;
  const serverCpu = cpuSeconds(pid) - serverCpuBefore;
  const postgresCpu = embedded ? descendantsCpuSeconds(pid) - postgresCpuBefore : NaN;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const peakRss = peakRssMiB(pid);

  const signals: SoakSignal[] = [];
  const loads = [
    { name: 'spans, OTLP/HTTP', signal: 'traces', itemsPerRequest: spansPerRequest, target: spansPerSecond, tally: spans.tally() },
    { name: 'logs, OTLP/HTTP', signal: 'logs', itemsPerRequest: logsPerRequest, target: logsPerSecond, tally: logs.tally() },
    { name: 'events, /api/track', signal: 'track', itemsPerRequest: 1, target: eventsPerSecond, tally: track.tally() },
  ] as const;
  for (const { name, signal, itemsPerRequest, target, tally } of loads) {
    const rowsCounted = (await countRows(tables[signal])) - rowsBefore[signal];
    const result: SoakSignal = {
      name,
      signal,
      table: tables[signal],
      itemsPerRequest,
      targetItemsPerSecond: target,
      maxInFlight: maxInFlight[signal],
      acknowledged: tally.acknowledged,
      itemsPerSecond: Math.round(tally.acknowledged / elapsed),
      rejectedRequests: tally.rejected,
      skippedRequests: tally.skipped,
      rowsCounted,
      latencyMs: latencyOf(tally.latencySamplesMs),
    };
    signals.push(result);
    const mismatch = rowsCounted === result.acknowledged ? '' : ` (ROWS COUNTED ${rowsCounted} ≠ ACKNOWLEDGED ${result.acknowledged})`;
    console.log(
      `${name}: ${result.itemsPerSecond.toLocaleString('en-US')}/s of ${target.toLocaleString('en-US')}/s, ${rowsCounted.toLocaleString('en-US')} rows counted${mismatch}, ` +
        `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms` +
        (tally.rejected ? `, ${tally.rejected} requests not acknowledged` : '') +
        (tally.skipped ? `, ${tally.skipped} requests skipped (${maxInFlight[signal]} in flight)` : ''),
    );
  }

  const afterWarmUp = rssSamples.filter((s) => s.seconds >= warmUpSeconds);
  const end = rssSamples.at(-1)!.seconds;
  const results: SoakResults = {
    machine: await machineDescription(),
    database: Object.entries(settings).map(([name, value]) => `${name}=${value}`).join(', '),
    settings,
    embedded,
    seconds,
    warmUpSeconds,
    windowSeconds,
    sampleEverySeconds,
    signals,
    server: {
      peakRssMiB: peakRss,
      firstWindowMeanRssMiB: mean(afterWarmUp.filter((s) => s.seconds < warmUpSeconds + windowSeconds).map((s) => s.rssMiB)),
      lastWindowMeanRssMiB: mean(afterWarmUp.filter((s) => s.seconds >= end - windowSeconds).map((s) => s.rssMiB)),
      slopeMiBPerMinute: slopePerMinute(afterWarmUp),
      cpuCores: round2(serverCpu / elapsed),
    },
    postgresCpuCores: embedded ? round2(postgresCpu / elapsed) : null,
    clientCpuCores: round2((clientCpu.user + clientCpu.system) / 1e6 / elapsed),
    rssSamples,
  };
  const s = results.server;
  console.log(
    `server RSS: peak ${s.peakRssMiB} MiB, mean ${s.firstWindowMeanRssMiB} MiB over the first ${windowSeconds} s after the ${warmUpSeconds} s warm-up, ` +
      `${s.lastWindowMeanRssMiB} MiB over the last ${windowSeconds} s, slope ${s.slopeMiBPerMinute} MiB/min; ` +
      `server ${s.cpuCores} cores` +
      (results.postgresCpuCores === null ? '' : `, PostgreSQL ${results.postgresCpuCores} cores`) +
      `, bench client ${results.clientCpuCores} cores`,
  );
  console.log(`RSS by minute (MiB): ${rssByMinute(rssSamples)}`);
  await writeResults('soak', results);
} finally {
  await bench.stop();
}

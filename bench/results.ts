// Where benchmark results go: bench/results/<kind>-<date>.json (everything
// measured) and .md (the table the README shows), with the machine and the
// commit they were measured on.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import type { CopyLimit } from './copy-limit.ts';
import type { Latency } from './latency.ts';
import type { SpanStorage } from './storage-per-span.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  commit: string;
}

export async function machineDescription(): Promise<Machine> {
  let commit = 'unknown';
  try {
    // Earlier results not yet committed are no change to what is measured.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ':!bench/results'], { encoding: 'utf8' }).trim() !== '';
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() + (dirty ? '+changes' : '');
  } catch {
    // not a git checkout
  }
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, commit };
}

interface QueryResults {
  machine: Machine;
  database: string;
  /** `serve` alone, or `serve --no-ingest` with a `collect` beside it (BENCH_SPLIT=1). */
  processes: string;
  /** `failed`: requests skipped (16 in flight) or not acknowledged. */
  ingest: { targetSpansPerSecond: number; spansPerSecond: number; failed: number };
  idle: Record<string, Latency & { errors: number }>;
  whileIngesting: Record<string, Latency & { errors: number }>;
  [more: string]: unknown;
}

export function queryTable(results: QueryResults): string {
  const cell = (l: (Latency & { errors: number }) | undefined): string => {
    if (l === undefined) return '–';
    if (l.calls === 0) return `every call failed (${l.errors}: over the API's statement timeout)`;
    return `${l.p50} / ${l.p95} / ${l.p99}${l.errors ? ` (${l.errors} failed)` : ''}`;
  };
  const lines = [
    `Processes: ${results.processes}. While ingesting: ${results.ingest.spansPerSecond.toLocaleString('en-US')} of the ${results.ingest.targetSpansPerSecond.toLocaleString('en-US')} spans/s asked.`,
    '',
    '| query | idle p50 / p95 / p99 ms | while ingesting p50 / p95 / p99 ms |',
    '| --- | --- | --- |',
    ...Object.keys(results.idle).map((name) => `| ${name} | ${cell(results.idle[name])} | ${cell(results.whileIngesting[name])} |`),
  ];
  return lines.join('\n');
}

/** One phase of the ingest benchmark (bench/ingest.ts). */
export interface IngestPhase {
  name: string;
  signal: 'traces' | 'logs' | 'metrics' | 'track';
  transport: string;
  clients: number;
  itemsPerRequest: number;
  /** The table the items are rows of. */
  table: string;
  seconds: number;
  /** Requests acknowledged, and those that were not. */
  requests: number;
  rejectedRequests: number;
  /** Items acknowledged: requests × itemsPerRequest. */
  acknowledged: number;
  itemsPerSecond: number;
  /** Rows the phase added to `table`, counted afterwards: equal to `acknowledged` when every acknowledged item was committed once. */
  rowsCounted: number;
  /** Each export's time from send to answer. */
  latencyMs: Latency;
  /** `justanalytics serve`: peak RSS over the phase (over its life when the kernel would not reset it) and CPU used ÷ wall time. */
  server: { peakRssMiB: number; peakSincePhaseStart: boolean; cpuCores: number };
  /** The embedded PostgreSQL's processes' CPU ÷ wall time; null with DATABASE_URL. */
  database: { cpuCores: number } | null;
  /** This benchmark process's own CPU ÷ wall time: on one machine it competes with the server and the database. */
  client: { cpuCores: number };
}

export interface IngestResults {
  machine: Machine;
  database: string;
  settings: Record<string, string>;
  embedded: boolean;
  secondsPerPhase: number;
  spansPerRequest: number;
  phases: IngestPhase[];
  storageLimit: CopyLimit | null;
  /** Bytes on disk per span after the span phases, by table. */
  spanStorage: SpanStorage | null;
  /** Spans acknowledged per second over OTLP/HTTP from 8 clients ÷ raw COPY rows per second. */
  headline: { phase: string; spansPerSecond: number; copyRowsPerSecond: number; ratio: number } | null;
}

export function ingestTable(results: IngestResults): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = [
    `${results.secondsPerPhase} s a phase. Spans: ${results.spansPerRequest}-span requests (bench/sample-spans.ts: traces of an HTTP server span, 3 database ` +
      'spans and an HTTP client span, 11-15 attributes each, 5 services, one trace in 20 with an exception), new trace IDs on every send. ' +
      `PostgreSQL ${results.embedded ? 'embedded, on the same machine' : 'at DATABASE_URL'}.`,
    '',
    '| phase | items/s | rows counted / acknowledged | export p50 / p99 ms | server peak RSS | server CPU | PostgreSQL CPU | bench client CPU |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.phases.map(
      (p) =>
        `| ${p.name} (${p.itemsPerRequest}/request) | ${n(p.itemsPerSecond)} | ${n(p.rowsCounted)} / ${n(p.acknowledged)}${p.rowsCounted === p.acknowledged ? '' : ' **mismatch**'}` +
        `${p.rejectedRequests ? ` (${p.rejectedRequests} requests not acknowledged)` : ''} | ${p.latencyMs.p50} / ${p.latencyMs.p99} | ${p.server.peakRssMiB} MiB | ` +
        `${p.server.cpuCores} cores | ${p.database ? `${p.database.cpuCores} cores` : '–'} | ${p.client.cpuCores} cores |`,
    ),
  ];
  const limit = results.storageLimit;
  if (limit) {
    const copied = limit.rowsCounted - limit.warmUpRows;
    lines.push(
      `| storage limit: raw COPY of the same span rows, ${limit.writers} connections × ${n(limit.rowsPerCopy)} rows | ${n(limit.rowsPerSecond)} | ` +
        `${n(copied)} / ${n(limit.rows)}${copied === limit.rows ? '' : ' **mismatch**'} | ${limit.latency.p50} / ${limit.latency.p99} (a COPY) | | | ` +
        `${limit.databaseCpuCores === null ? '–' : `${limit.databaseCpuCores} cores`} | |`,
    );
  }
  const storage = results.spanStorage;
  if (storage) {
    lines.push(
      '',
      `Storage after the span phases: **${n(storage.bytesPerSpan)} bytes per span** (goal < 300), ${n(storage.spans)} spans, every table and index of the span path:`,
      '',
      '| table | heap + TOAST bytes/span | index bytes/span |',
      '| --- | --- | --- |',
      ...storage.tables.map(
        (t) => `| ${t.table} | ${n(t.heapBytesPerSpan)} | ${n(t.indexBytesPerSpan)}${t.indexes.length ? ` (${t.indexes.map((i) => `${i.index} ${n(i.bytesPerSpan)}`).join(', ')})` : ''} |`,
      ),
    );
  }
  if (results.headline) {
    const h = results.headline;
    lines.push('', `Headline: ${h.phase}, ${n(h.spansPerSecond)} spans/s = **${h.ratio}** of the raw COPY's ${n(h.copyRowsPerSecond)} rows/s (goal ≥ 50,000 spans/s and ≥ 0.7).`);
  }
  return lines.join('\n');
}

/** One signal of the soak benchmark (bench/soak.ts): its steady load and what came of it. */
export interface SoakSignal {
  name: string;
  signal: 'traces' | 'logs' | 'track';
  /** The table the items are rows of. */
  table: string;
  itemsPerRequest: number;
  targetItemsPerSecond: number;
  /** Requests in flight at most: one due beyond that is skipped, not queued. */
  maxInFlight: number;
  acknowledged: number;
  itemsPerSecond: number;
  /** Requests answered but not acknowledged, or failed. */
  rejectedRequests: number;
  /** Requests not sent: `maxInFlight` were in flight when they were due. */
  skippedRequests: number;
  /** Rows the load added to `table`, counted afterwards: equal to `acknowledged` when every acknowledged item was committed once. */
  rowsCounted: number;
  /** Each answered export's time from send to answer. */
  latencyMs: Latency;
}

export interface SoakResults {
  machine: Machine;
  database: string;
  settings: Record<string, string>;
  embedded: boolean;
  /** Seconds of load, every signal at once. */
  seconds: number;
  /** Samples before this are left out of the means and the slope. */
  warmUpSeconds: number;
  /** The length of the first and the last window after the warm-up whose samples' mean RSS is given. */
  windowSeconds: number;
  sampleEverySeconds: number;
  signals: SoakSignal[];
  /** `justanalytics serve` (its Node process: not the embedded PostgreSQL's): resident memory, and CPU used ÷ wall time over the load. */
  server: {
    /** VmHWM at the end: the peak over the server's life, start-up included. */
    peakRssMiB: number;
    firstWindowMeanRssMiB: number | null;
    lastWindowMeanRssMiB: number | null;
    /** Least squares over the samples after the warm-up: flat is near 0. */
    slopeMiBPerMinute: number | null;
    cpuCores: number;
  };
  /** The embedded PostgreSQL's processes' CPU ÷ wall time over the load; null with DATABASE_URL. */
  postgresCpuCores: number | null;
  /** This benchmark process's own CPU ÷ wall time: on one machine it competes with the server and the database. */
  clientCpuCores: number;
  /** VmRSS of the server every `sampleEverySeconds` from the start of the load, and at its end. */
  rssSamples: Array<{ seconds: number; rssMiB: number }>;
}

/** The mean RSS of each minute's samples, compactly: "0′ 182 · 1′ 205 · …" (MiB). */
export function rssByMinute(samples: SoakResults['rssSamples']): string {
  const minutes: number[][] = [];
  for (const s of samples) (minutes[Math.floor(s.seconds / 60)] ??= []).push(s.rssMiB);
  return minutes
    .map((rss, minute) => (rss.length ? `${minute}′ ${Math.round(rss.reduce((a, b) => a + b, 0) / rss.length)}` : ''))
    .filter((cell) => cell !== '')
    .join(' · ');
}

export function soakTable(results: SoakResults): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const mib = (x: number | null): string => (x === null ? '–' : `${x} MiB`);
  const { server, warmUpSeconds: warmUp, windowSeconds: window } = results;
  const windowText = window === 60 ? 'minute' : `${window} s`;
  const lines = [
    `${results.seconds} s of steady load, every signal at once: spans over OTLP/HTTP (200-span requests of bench/sample-spans.ts, new trace IDs on every send), ` +
      'logs over OTLP/HTTP (200-record requests of bench/sample-logs.ts) and single-event /api/track requests (bench/sample-track.ts). Requests are started on a clock; ' +
      `one due while the signal's cap of requests is in flight is skipped. PostgreSQL ${results.embedded ? 'embedded, on the same machine' : 'at DATABASE_URL'}.`,
    '',
    '| signal | target items/s | acknowledged items/s | rows counted / acknowledged | requests not acknowledged / skipped | export p50 / p99 ms |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.signals.map(
      (s) =>
        `| ${s.name} (${s.itemsPerRequest}/request, ≤ ${s.maxInFlight} in flight) | ${n(s.targetItemsPerSecond)} | ${n(s.itemsPerSecond)} | ` +
        `${n(s.rowsCounted)} / ${n(s.acknowledged)}${s.rowsCounted === s.acknowledged ? '' : ' **mismatch**'} | ${n(s.rejectedRequests)} / ${n(s.skippedRequests)} | ` +
        `${s.latencyMs.p50} / ${s.latencyMs.p99} |`,
    ),
    '',
    "| justanalytics serve's memory (its Node process, not PostgreSQL's) and CPU | |",
    '| --- | --- |',
    `| peak RSS (VmHWM at the end, start-up included) | **${mib(server.peakRssMiB)}** (goal < 400 MB) |`,
    `| mean RSS, first ${windowText} after the ${warmUp} s warm-up | ${mib(server.firstWindowMeanRssMiB)} |`,
    `| mean RSS, last ${windowText} | ${mib(server.lastWindowMeanRssMiB)} |`,
    `| RSS slope after the warm-up (least squares) | **${server.slopeMiBPerMinute === null ? '–' : `${server.slopeMiBPerMinute} MiB/min`}** (flat: near 0) |`,
    `| server CPU | ${server.cpuCores} cores |`,
    `| PostgreSQL CPU | ${results.postgresCpuCores === null ? '–' : `${results.postgresCpuCores} cores`} |`,
    `| bench client CPU (same machine) | ${results.clientCpuCores} cores |`,
    '',
    `RSS by minute of load (mean MiB of the samples every ${results.sampleEverySeconds} s): ${rssByMinute(results.rssSamples)}.`,
  ];
  return lines.join('\n');
}

export async function writeResults(kind: 'query', results: QueryResults): Promise<string>;
export async function writeResults(kind: 'ingest', results: IngestResults): Promise<string>;
export async function writeResults(kind: 'soak', results: SoakResults): Promise<string>;
export async function writeResults(kind: 'query' | 'ingest' | 'soak', results: QueryResults | IngestResults | SoakResults): Promise<string> {
  const dir = new URL('./results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const m = results.machine;
  const markdown = [
    `# ${kind} benchmark, ${date}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit}.`,
    `PostgreSQL: ${results.database}.`,
    '',
    kind === 'query' ? queryTable(results as QueryResults) : kind === 'soak' ? soakTable(results as SoakResults) : ingestTable(results as IngestResults),
    '',
  ].join('\n');
  // Several runs a day each keep their own files: -2, -3, … after the first.
  let base = new URL(`${kind}-${date}`, dir);
  for (let run = 2; existsSync(`${base.pathname}.json`); run++) base = new URL(`${kind}-${date}-${run}`, dir);
  await writeFile(`${base.pathname}.json`, JSON.stringify(results, null, 2) + '\n');
  await writeFile(`${base.pathname}.md`, markdown);
  console.log(`results: ${base.pathname}.md`);
  return markdown;
}

// Query benchmark: seeds `BENCH_SPANS` spans (default 10 million, in traces of
// 4 spans over 7 days, 5 services) straight in SQL, builds the rollups the
// ingest path keeps, then measures the query API's latency (p50/p95/p99 over
// repeated, varied calls) idle and again while a steady ingest of
// `BENCH_INGEST_RATE` spans/s (default 15,000) arrives, against
// `justanalytics serve` running as its own process. Writes
// bench/results/query-<date>.json and .md.
//
//   npm run bench -- query                          embedded PostgreSQL in a temp dir
//   BENCH_DATA_DIR=/var/tmp/ja-bench npm run bench -- query   keep (and reuse) the seeded data; a reused
//                                   directory also holds what earlier runs' steady ingest added
//   DATABASE_URL=postgres://… npm run bench -- query
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { createApiKey } from '../backend/src/store/api-keys.ts';
import { ensureDefaultSite } from '../backend/src/store/default-site.ts';
import { latencyOf, type Latency } from './latency.ts';
import { seededTraceId, seedPlan, seedSpans, services, customers, type SeedPlan } from './query-seed.ts';
import { machineDescription, writeResults } from './results.ts';
import { startSteadyIngest } from './steady-ingest.ts';
import { buildRollups } from './query-rollups.ts';

const totalSpans = Number(process.env.BENCH_SPANS ?? 10_000_000);
const days = 7;
const callsPerQuery = Number(process.env.BENCH_CALLS ?? 40);
const ingestRate = Number(process.env.BENCH_INGEST_RATE ?? 15_000);
const logger = pino({ level: 'warn' });
const hourMs = 3_600_000;

const keepDataDir = process.env.BENCH_DATA_DIR !== undefined;
const dataDir = process.env.BENCH_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'ja-query-bench-')));
await mkdir(dataDir, { recursive: true });

/** Seeds (unless the database already holds the seed) and returns the plan and two keys. */
async function prepare(): Promise<{ plan: SeedPlan; readKey: string; ingestKey: string; database: string }> {
  const handle = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir, logger });
  try {
    await migrateToLatestOrThrow(handle.db);
    const created = await ensureDefaultSite(handle.db);
    const siteId = created?.siteId ?? (await handle.db.selectFrom('sites').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const readKey = created?.readKey ?? (await createApiKey(handle.db, { siteId, scopes: ['read'], name: 'bench read' })).key;
    const ingestKey = created?.ingestKey ?? (await createApiKey(handle.db, { siteId, scopes: ['ingest'], name: 'bench ingest' })).key;
    const { rows } = await sql<{ n: string; newest: Date | null }>`SELECT count(*) AS n, max(start_time) AS newest FROM spans WHERE site_id = ${siteId}::bigint`.execute(handle.db);
    const existing = Number(rows[0]?.n ?? 0);
    let plan: SeedPlan;
    if (existing >= totalSpans * 0.99) {
      // Reuse: the seed's days end where the newest seeded span is.
      plan = seedPlan(siteId, totalSpans, days, rows[0]!.newest!.getTime() + 1);
      console.log(`reusing ${existing} spans already in the database`);
    } else {
      plan = seedPlan(siteId, totalSpans, days);
      console.log(`seeding ${totalSpans} spans over ${days} days …`);
      const started = performance.now();
      await seedSpans(handle.db, plan, console.log);
      console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      const rollupStart = performance.now();
      await buildRollups(handle.db, plan);
      console.log(`rollups built in ${((performance.now() - rollupStart) / 1000).toFixed(0)} s`);
    }
    // The server's own values (reset_val), not a session's: the seed turns synchronous_commit off for itself.
    const settings = await sql<{ name: string; value: string }>`
      SELECT name, CASE WHEN unit IS NULL THEN reset_val
                        ELSE pg_size_pretty(reset_val::bigint * pg_size_bytes(CASE WHEN unit ~ '^[0-9]' THEN unit ELSE '1' || unit END)) END AS value
      FROM pg_settings
      WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'work_mem', 'effective_cache_size', 'synchronous_commit')
      ORDER BY name`.execute(handle.db);
    const database = settings.rows.map((s) => `${s.name}=${s.value}`).join(', ');
    return { plan, readKey, ingestKey, database };
  } finally {
    await handle.close();
  }
}

async function startServer(): Promise<{ server: ChildProcess; apiPort: number; otlpHttpPort: number }> {
  const server = spawn(
    process.execPath,
    [new URL('../backend/bin/justanalytics.js', import.meta.url).pathname, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ports = await new Promise<{ apiPort: number; otlpHttpPort: number }>((resolve, reject) => {
    createInterface({ input: server.stderr! }).on('line', (line) => {
      if (line.includes('justanalytics is serving')) resolve(JSON.parse(line) as { apiPort: number; otlpHttpPort: number });
    });
    server.on('exit', () => reject(new Error('serve exited before it was ready')));
  });
  return { server, ...ports };
}

interface QueryCase {
  name: string;
  /** The path and query of call `i`: calls vary their parameters. */
  path(i: number): string;
}

function queryCases(plan: SeedPlan): QueryCase[] {
  const iso = (ms: number): string => encodeURIComponent(new Date(ms).toISOString());
  // A window of `hours` ending at a pseudo-random whole hour inside the seeded days.
  const window = (i: number, hours: number): string => {
    const span = plan.endMs - plan.firstDayMs - hours * hourMs;
    const end = plan.firstDayMs + hours * hourMs + Math.floor(((i * 7919) % 1000) / 1000 * span / hourMs) * hourMs;
    return `start=${iso(end - hours * hourMs)}&end=${iso(end)}`;
  };
  const service = (i: number): string => services[i % services.length]!;
  return [
    { name: 'trace by ID', path: (i) => `/api/v1/traces/${seededTraceId(i % plan.days, 1 + ((i * 104_729) % plan.tracesPerDay))}` },
    { name: 'search: service, 1 h', path: (i) => `/api/v1/traces?service=${service(i)}&${window(i, 1)}` },
    { name: 'search: service + attribute, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&attr.customer.id=cust-${(i * 7_717) % customers}&${window(i, 24)}` },
    { name: 'search: service + minDuration=1s, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&minDuration=1s&${window(i, 24)}` },
    { name: 'search: service + status=error, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&status=error&${window(i, 24)}` },
    { name: 'services with RED, 24 h', path: (i) => `/api/v1/services?${window(i, 24)}` },
    { name: 'operations of a service, 24 h', path: (i) => `/api/v1/services/${service(i)}/operations?${window(i, 24)}` },
    { name: 'service map, 1 h', path: (i) => `/api/v1/service-map?${window(i, 1)}` },
    { name: 'service map, 24 h', path: (i) => `/api/v1/service-map?${window(i, 24)}` },
  ];
}

async function measure(apiPort: number, readKey: string, cases: QueryCase[]): Promise<Record<string, Latency & { errors: number }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string): Promise<{ status: number; ms: number }> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request({ agent, host: '127.0.0.1', port: apiPort, path, headers: { authorization: `Bearer ${readKey}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end();
    });
  const results: Record<string, Latency & { errors: number }> = {};
  for (const query of cases) {
    for (let i = 0; i < 3; i++) await get(query.path(1_000 + i)); // warm-up
    const samples: number[] = [];
    let errors = 0;
    for (let i = 0; i < callsPerQuery; i++) {
      const { status, ms } = await get(query.path(i));
      if (status === 200) samples.push(ms);
      else errors++;
    }
    results[query.name] = { ...latencyOf(samples), errors };
    console.log(`  ${query.name}: p50 ${results[query.name]!.p50} ms, p95 ${results[query.name]!.p95} ms${errors ? `, ${errors} failed` : ''}`);
  }
  agent.destroy();
  return results;
}

try {
  const { plan, readKey, ingestKey, database } = await prepare();
  const { server, apiPort, otlpHttpPort } = await startServer();
  try {
    const cases = queryCases(plan);
    console.log('idle:');
    const idle = await measure(apiPort, readKey, cases);
    console.log(`while ingesting ${ingestRate} spans/s:`);
    const ingest = startSteadyIngest(otlpHttpPort, ingestKey, ingestRate);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const loaded = await measure(apiPort, readKey, cases);
    const achieved = await ingest.stop();
    console.log(`  ingest achieved ${achieved.spansPerSecond} spans/s, ${achieved.failed} requests missed or failed`);
    await writeResults('query', {
      machine: await machineDescription(),
      database,
      seed: { spans: plan.tracesPerDay * plan.days * 4, traces: plan.tracesPerDay * plan.days, days: plan.days, services: services.length },
      callsPerQuery,
      ingest: { targetSpansPerSecond: ingestRate, ...achieved },
      idle,
      whileIngesting: loaded,
    });
  } finally {
    server.kill('SIGTERM');
    if (server.exitCode === null) await once(server, 'exit');
  }
} finally {
  if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
}

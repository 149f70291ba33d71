// Query benchmark: seeds `BENCH_SPANS` spans (default 10 million, in traces of
// 4 spans over 7 days, 5 services), `BENCH_LOGS` log records (default 1
// million), `BENCH_METRIC_POINTS` metric points (default 10 million) and
// `BENCH_EVENTS` analytics events (default 10 million, over 30 days) straight in SQL, builds the rollups the ingest path keeps, then measures the query API's latency (p50/p95/p99 over
// repeated, varied calls) idle and again while a steady ingest of
// `BENCH_INGEST_RATE` spans/s (default 15,000) arrives, against
// `justanalytics serve` running as its own process. Writes
// bench/results/query-<date>.json and .md.
//
//   npm run bench -- query                          embedded PostgreSQL in a temp dir
//   BENCH_DATA_DIR=/var/tmp/ja-bench npm run bench -- query   keep (and reuse) the seeded data; a reused
//                                   directory also holds what earlier runs' steady ingest added
//   DATABASE_URL=postgres://… npm run bench -- query
//   BENCH_QUERIES=logs,metrics npm run bench -- query   only the queries whose name has one of these
//   BENCH_SPLIT=1 npm run bench -- query             the API in `serve --no-ingest`, the receivers in `collect`
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
import { serverArgs } from './bench-server.ts';
import { latencyOf, type Latency } from './latency.ts';
import { seededTraceId, seedPlan, seedSpans, services, customers, type SeedPlan } from './query-seed.ts';
import { hosts, seedLogs, seedMetrics } from './query-seed-signals.ts';
import { seedAnalytics } from './query-seed-analytics.ts';
import { machineDescription, writeResults } from './results.ts';
import { startSteadyIngest } from './steady-ingest.ts';
import { buildRollups } from './query-rollups.ts';

const totalSpans = Number(process.env.BENCH_SPANS ?? 10_000_000);
const totalLogs = Number(process.env.BENCH_LOGS ?? 1_000_000);
const totalMetricPoints = Number(process.env.BENCH_METRIC_POINTS ?? 10_000_000);
const totalEvents = Number(process.env.BENCH_EVENTS ?? 10_000_000);
const analyticsDays = 30;
const onlyQueries = (process.env.BENCH_QUERIES ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
const days = 7;
const callsPerQuery = Number(process.env.BENCH_CALLS ?? 40);
const ingestRate = Number(process.env.BENCH_INGEST_RATE ?? 15_000);
const split = process.env.BENCH_SPLIT === '1';
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
    let seeded = false;
    if (existing >= totalSpans * 0.99) {
      // Reuse: the seed's days end where the newest seeded span is.
      plan = seedPlan(siteId, totalSpans, days, rows[0]!.newest!.getTime() + 1);
      console.log(`reusing ${existing} spans already in the database`);
    } else {
      plan = seedPlan(siteId, totalSpans, days);
      console.log(`seeding ${totalSpans} spans over ${days} days …`);
      const started = performance.now();
      await seedSpans(handle.db, plan, console.log);
      seeded = true;
      console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      const rollupStart = performance.now();
      await buildRollups(handle.db, plan);
      console.log(`rollups built in ${((performance.now() - rollupStart) / 1000).toFixed(0)} s`);
    }
    await seedSignal('log records', 'logs', totalLogs, (n) => seedLogs(handle.db, plan, n, console.log));
    await seedSignal('metric points', 'metric_points', totalMetricPoints, (n) => seedMetrics(handle.db, plan, n, console.log));
    await seedSignal('analytics events', 'events', totalEvents, (n) => seedAnalytics(handle.db, plan.siteId, n, analyticsDays, console.log));
    // Only after a seed: a reused database has its statistics, and ANALYZE of 27 GB takes minutes.
    if (seeded) await sql`ANALYZE`.execute(handle.db);
    // The server's own values (reset_val), not a session's: the seed turns synchronous_commit off for itself.
    const settings = await sql<{ name: string; value: string }>`
      SELECT name, CASE WHEN unit IS NULL THEN reset_val
                        ELSE pg_size_pretty(reset_val::bigint * pg_size_bytes(CASE WHEN unit ~ '^[0-9]' THEN unit ELSE '1' || unit END)) END AS value
      FROM pg_settings
      WHERE name IN ('server_version', 'shared_buffers', 'max_wal_size', 'work_mem', 'effective_cache_size', 'synchronous_commit')
      ORDER BY name`.execute(handle.db);
    const database = settings.rows.map((s) => `${s.name}=${s.value}`).join(', ');
    return { plan, readKey, ingestKey, database };

    /** Seeds a signal's rows unless the database holds about that many already. */
    async function seedSignal(what: string, table: 'logs' | 'metric_points' | 'events', wanted: number, seed: (n: number) => Promise<void>): Promise<void> {
      const { rows: counted } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE site_id = ${plan.siteId}::bigint`.execute(handle.db);
      const have = Number(counted[0]?.n ?? 0);
      if (have >= wanted * 0.9) {
        console.log(`reusing ${have} ${what} already in the database`);
        return;
      }
      console.log(`seeding ${wanted} ${what} …`);
      const started = performance.now();
      await seed(wanted);
      seeded = true;
      console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await handle.close();
  }
}

/** One `justanalytics` process, ready: the ports it logged in its "serving" line. */
async function startProcess(args: string[]): Promise<{ process: ChildProcess; ports: { apiPort?: number; otlpHttpPort?: number } }> {
  const child = spawn(process.execPath, serverArgs(...args, '--data-dir', dataDir, '--host', '127.0.0.1'), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ports = await new Promise<{ apiPort?: number; otlpHttpPort?: number }>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.includes('justanalytics is serving')) resolve(JSON.parse(line) as { apiPort?: number; otlpHttpPort?: number });
    });
    child.on('exit', () => reject(new Error(`${args[0]} exited before it was ready`)));
  });
  return { process: child, ports };
}

/**
 * `serve` (everything in one process), or with BENCH_SPLIT=1 the deployment
 * for load: `serve --no-ingest` (the API and the jobs) beside a `collect`
 * process (the receivers), so that queries do not wait behind decoding on
 * one event loop. The last started is stopped first (the first holds the
 * embedded PostgreSQL).
 */
async function startServers(): Promise<{ stop(): Promise<void>; apiPort: number; otlpHttpPort: number }> {
  const started: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of started.reverse()) {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  };
  try {
    if (!split) {
      const serve = await startProcess(['serve', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--api-port', '0']);
      started.push(serve.process);
      return { stop, apiPort: serve.ports.apiPort!, otlpHttpPort: serve.ports.otlpHttpPort! };
    }
    const api = await startProcess(['serve', '--no-ingest', '--api-port', '0']);
    started.push(api.process);
    const collect = await startProcess(['collect', '--otlp-http-port', '0', '--otlp-grpc-port', '0']);
    started.push(collect.process);
    return { stop, apiPort: api.ports.apiPort!, otlpHttpPort: collect.ports.otlpHttpPort! };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface QueryCase {
  name: string;
  /** The path and query of call `i`: calls vary their parameters. */
  path(i: number): string;
  /** A JSON body to POST with call `i`; a GET without. */
  body?(i: number): object;
}

function queryCases(plan: SeedPlan): QueryCase[] {
  const iso = (ms: number): string => encodeURIComponent(new Date(ms).toISOString());
  // A window of `hours` ending at a pseudo-random whole hour inside the seeded days.
  const window = (i: number, hours: number): string => {
    const span = plan.endMs - plan.firstDayMs - hours * hourMs;
    const end = plan.firstDayMs + hours * hourMs + Math.floor(((i * 7919) % 1000) / 1000 * span / hourMs) * hourMs;
    return `start=${iso(end - hours * hourMs)}&end=${iso(end)}`;
  };
  const windowMs = (i: number, hours: number): { start: number; end: number } => {
    const query = new URLSearchParams(window(i, hours));
    return { start: Date.parse(query.get('start')!), end: Date.parse(query.get('end')!) };
  };
  const service = (i: number): string => services[i % services.length]!;
  const cases: QueryCase[] = [
    { name: 'trace by ID', path: (i) => `/api/v1/traces/${seededTraceId(i % plan.days, 1 + ((i * 104_729) % plan.tracesPerDay))}` },
    { name: 'search: service, 1 h', path: (i) => `/api/v1/traces?service=${service(i)}&${window(i, 1)}` },
    { name: 'search: service + attribute, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&attr.customer.id=cust-${(i * 7_717) % customers}&${window(i, 24)}` },
    { name: 'search: service + minDuration=1s, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&minDuration=1s&${window(i, 24)}` },
    { name: 'search: service + status=error, 24 h', path: (i) => `/api/v1/traces?service=${service(i)}&status=error&${window(i, 24)}` },
    { name: 'services with RED, 24 h', path: (i) => `/api/v1/services?${window(i, 24)}` },
    { name: 'operations of a service, 24 h', path: (i) => `/api/v1/services/${service(i)}/operations?${window(i, 24)}` },
    { name: 'service map, 1 h', path: (i) => `/api/v1/service-map?${window(i, 1)}` },
    { name: 'service map, 24 h', path: (i) => `/api/v1/service-map?${window(i, 24)}` },
    { name: 'logs: full text, 24 h', path: (i) => `/api/v1/logs?q=u-${(i * 37) % 5000}&${window(i, 24)}` },
    { name: 'logs: full text + service + severity, 24 h', path: (i) => `/api/v1/logs?q=status%20500&service=${service(i)}&severity=error&${window(i, 24)}` },
    {
      name: 'metrics: gauge avg by host.name, 24 h',
      path: () => '/api/v1/metrics/query',
      body: (i) => ({ metric: 'system.cpu.utilization', aggregation: 'avg', groupBy: ['host.name'], filters: [{ key: 'state', op: 'eq', value: 'user' }], step: 300, ...windowMs(i, 24) }),
    },
    {
      name: 'metrics: counter rate by route, 24 h',
      path: () => '/api/v1/metrics/query',
      body: (i) => ({ metric: 'http.server.requests', aggregation: 'rate', groupBy: ['http.route'], filters: [{ key: 'host.name', op: 'neq', value: `host-${i % hosts}` }], step: 300, ...windowMs(i, 24) }),
    },
    {
      name: 'analytics: overview, 30 days',
      path: () => '/api/v1/analytics/query',
      body: () => ({ date_range: '30d', metrics: ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration'] }),
    },
    {
      name: 'analytics: visitors by day, 30 days',
      path: () => '/api/v1/analytics/query',
      body: () => ({ date_range: '30d', metrics: ['visitors', 'pageviews'], dimensions: ['time:day'] }),
    },
    {
      name: 'analytics: top pages, 30 days',
      path: () => '/api/v1/analytics/query',
      body: () => ({ date_range: '30d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], order_by: [['visitors', 'desc']], limit: 10 }),
    },
    {
      name: 'analytics: top sources, 30 days',
      path: () => '/api/v1/analytics/query',
      body: () => ({ date_range: '30d', metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'], order_by: [['visitors', 'desc']], limit: 10 }),
    },
    {
      name: 'analytics: pages of one country, 30 days (raw)',
      path: () => '/api/v1/analytics/query',
      body: (i) => ({ date_range: '30d', metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:country', [['US', 'DE', 'GB', 'IN'][i % 4]]]], limit: 10 }),
    },
    {
      name: 'analytics: 3-step funnel, 30 days',
      path: () => '/api/v1/analytics/funnels',
      body: () => ({ date_range: '30d', steps: [{ page: '/' }, { page: '/pricing' }, { event: 'signup' }] }),
    },
    { name: 'analytics: realtime', path: () => '/api/v1/analytics/realtime' },
  ];
  return cases.filter((query) => onlyQueries.length === 0 || onlyQueries.some((name) => query.name.toLowerCase().includes(name)));
}

async function measure(apiPort: number, readKey: string, cases: QueryCase[]): Promise<Record<string, Latency & { errors: number }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (query: QueryCase, i: number): Promise<{ status: number; ms: number }> =>
    new Promise((resolve, reject) => {
      const body = query.body === undefined ? undefined : JSON.stringify(query.body(i));
      const headers = { authorization: `Bearer ${readKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      const started = performance.now();
      const req = request({ agent, host: '127.0.0.1', port: apiPort, path: query.path(i), method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const results: Record<string, Latency & { errors: number }> = {};
  for (const query of cases) {
    for (let i = 0; i < 3; i++) await call(query, 1_000 + i); // warm-up
    const samples: number[] = [];
    let errors = 0;
    for (let i = 0; i < callsPerQuery; i++) {
      const { status, ms } = await call(query, i);
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
  const { stop, apiPort, otlpHttpPort } = await startServers();
  try {
    const cases = queryCases(plan);
    console.log('idle:');
    const idle = await measure(apiPort, readKey, cases);
    console.log(`while ingesting ${ingestRate} spans/s:`);
    const ingest = startSteadyIngest(otlpHttpPort, ingestKey, ingestRate);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const loaded = await measure(apiPort, readKey, cases);
    const achieved = await ingest.stop();
    console.log(`  ingest achieved ${achieved.itemsPerSecond} spans/s, ${achieved.failed} requests missed or failed`);
    await writeResults('query', {
      machine: await machineDescription(),
      database,
      processes: split ? '`serve --no-ingest` (API, jobs) and `collect` (receivers)' : '`serve` (API, jobs and receivers in one)',
      seed: {
        spans: plan.tracesPerDay * plan.days * 4,
        traces: plan.tracesPerDay * plan.days,
        days: plan.days,
        services: services.length,
        logs: totalLogs,
        metricPoints: totalMetricPoints,
        analyticsEvents: totalEvents,
        analyticsDays,
      },
      callsPerQuery,
      ingest: { targetSpansPerSecond: ingestRate, spansPerSecond: achieved.itemsPerSecond, failed: achieved.failed },
      idle,
      whileIngesting: loaded,
    });
  } finally {
    await stop();
  }
} finally {
  if (!keepDataDir) await rm(dataDir, { recursive: true, force: true });
}

// RED rollup benchmark. Ingest: 200k spans (5 services x 20 operations, three
// kinds, a root in eight) through PostgresSink from 8 concurrent writers of
// 512-span batches, with the span writer's RED rollups and without them,
// alternately, each run on emptied tables. Query: `BENCH_RED_SPANS` spans
// (default 2 million) over 24 hours of 20 services x 50 operations seeded in
// SQL, the rollups rebuilt by backfillRedRollups, then serviceRed,
// operationRed and a 24 h series timed (median of 5 calls each).
//
//   DATABASE_URL=postgres://… node bench/store-red.ts   (embedded PostgreSQL in a temp dir without it)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpanRow } from '@justanalytics/collector/model';
import { sql } from 'kysely';
import type pg from 'pg';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { ensurePartitions } from '../backend/src/db/partitions.ts';
import { operationRed } from '../backend/src/query/traces/operation-red.ts';
import { redTimeseries } from '../backend/src/query/traces/red-timeseries.ts';
import { serviceRed } from '../backend/src/query/traces/service-red.ts';
import { PostgresSink } from '../backend/src/store/postgres-sink.ts';
import { createSite } from '../backend/src/store/sites.ts';
import { backfillRedRollups } from '../backend/src/store/traces/red-backfill.ts';
import { SpanWriter } from '../backend/src/store/traces/span-writer.ts';

const ingestSpans = Number(process.env.BENCH_RED_INGEST_SPANS ?? 200_000);
const querySpans = Number(process.env.BENCH_RED_SPANS ?? 2_000_000);
const spansPerBatch = 512;
const writers = 8;

type TraceBatch = { signal: 'traces'; siteId: string; rows: SpanRow[] };

function makeBatch(siteId: string, n: number): SpanRow[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 0 };
  const scope = { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 };
  return Array.from({ length: spansPerBatch }, (_, i) => {
    const start = now - BigInt(((n * spansPerBatch + i) % 120_000) * 1_000_000); // over the last 2 minutes
    return {
      siteId,
      traceId: randomBytes(16),
      spanId: randomBytes(8),
      parentSpanId: i % 8 === 0 ? null : randomBytes(8),
      traceState: '',
      flags: 1,
      name: `op-${i % 20}`,
      kind: [2, 3, 1][i % 3]!,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(1_000 + ((i * 7919) % 5_000_000)) * 1_000n,
      statusCode: i % 50 === 0 ? 2 : 0,
      statusMessage: '',
      serviceName: `service-${(n + i) % 5}`,
      httpRoute: null,
      httpStatusCode: null,
      attributes: [{ key: 'http.request.method', value: { stringValue: 'GET' } }],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      resource,
      resourceSchemaUrl: '',
      scope,
      scopeSchemaUrl: '',
    };
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }, pino.destination(2));
const dataDir = process.env.DATABASE_URL ? null : await mkdtemp(join(tmpdir(), 'ja-bench-red-'));
const handle = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: dataDir ?? '.', logger });
try {
  const { db } = handle;
  await migrateToLatestOrThrow(db);
  const siteId = (await createSite(db, { name: 'bench red' })).id;

  // The time of the rollup upserts themselves, measured around each statement: the
  // machine's other load makes whole-run times noisy.
  let rollupMs = 0;
  let rollupStatements = 0;
  const patched = new WeakSet<object>();
  const connect = handle.pool.connect.bind(handle.pool) as () => Promise<pg.PoolClient>;
  (handle.pool as { connect: () => Promise<pg.PoolClient> }).connect = async () => {
    const client = await connect();
    if (!patched.has(client)) {
      patched.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      // Not async: COPY's query returns a stream, which must go back as it is.
      (client as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        if (typeof args[0] !== 'string' || !args[0].startsWith('INSERT INTO red_')) return query(...args);
        const t0 = performance.now();
        return query(...args).finally(() => {
          rollupMs += performance.now() - t0;
          rollupStatements++;
        });
      };
    }
    return client;
  };

  const batches = Array.from({ length: Math.ceil(ingestSpans / spansPerBatch) }, (_, n) => makeBatch(siteId, n));
  const results: Record<string, number[]> = { 'with rollups': [], 'without rollups': [] };
  for (const redRollups of [false, true, false, true, false, true]) {
    await sql`TRUNCATE spans, trace_summaries, resource_scopes, red_minutes, red_hours`.execute(db);
    const sink = new PostgresSink<TraceBatch>(handle.pool, { logger, writers: { traces: new SpanWriter(undefined, { redRollups }) } });
    await sink.write({ signal: 'traces', siteId, rows: batches[0]! }); // partitions, connections
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (next < batches.length) await sink.write({ signal: 'traces', siteId, rows: batches[next++]! });
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await sink.close();
    if (redRollups) process.stdout.write(`  rollup upserts: ${rollupStatements} statements, ${(rollupMs / 1000).toFixed(2)} s\n`);
    rollupMs = 0;
    rollupStatements = 0;
    results[redRollups ? 'with rollups' : 'without rollups']!.push(seconds);
    process.stdout.write(`ingest ${batches.length * spansPerBatch} spans ${redRollups ? 'with' : 'without'} RED rollups: ${seconds.toFixed(2)} s (${Math.round((batches.length * spansPerBatch) / seconds)} spans/s)\n`);
  }

  for (const [name, seconds] of Object.entries(results)) process.stdout.write(`ingest ${name}: median ${median(seconds).toFixed(2)} s\n`);

  if (querySpans === 0) process.exit(0);
  await sql`TRUNCATE spans, trace_summaries, resource_scopes, red_minutes, red_hours`.execute(db);
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const range = { start: new Date(end.getTime() - 24 * 3_600_000), end };
  await ensurePartitions(db, 'spans', range.start, range.end);
  let started = performance.now();
  await sql`
    INSERT INTO spans (site_id, trace_id, span_id, parent_span_id, trace_state, flags, name, kind, start_time,
                       start_time_unix_nano, end_time_unix_nano, duration_ns, service_name, status_code, status_message,
                       attributes, dropped_attributes_count, events, dropped_events_count, links, dropped_links_count, resource_scope_id)
    SELECT ${siteId}::bigint, decode(md5(i::text), 'hex'), substr(decode(md5(i::text || 's'), 'hex'), 1, 8),
           CASE WHEN i % 4 = 0 THEN NULL ELSE '\\x0102030405060708'::bytea END, '', 1,
           'operation-' || (i % 50), (ARRAY[2, 3, 1, 5])[1 + i % 4],
           ${range.start}::timestamptz + (i * 86400.0 / ${querySpans}) * interval '1 second',
           0, 0, 1000 + (i::bigint * 7919) % 50000000, 'service-' || ((i / 50) % 20), CASE WHEN i % 97 = 0 THEN 2 ELSE 0 END, '',
           '[]', 0, '[]', 0, '[]', 0, '\\x00000000000000000000000000000000'
    FROM generate_series(0, ${querySpans - 1}) AS i`.execute(db);
  process.stdout.write(`seeded ${querySpans} spans over 24 h in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  started = performance.now();
  const rebuilt = await backfillRedRollups(db, range, siteId);
  process.stdout.write(`backfill: ${rebuilt.minuteRows} minute rows, ${rebuilt.hourRows} hour rows in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  await sql`VACUUM ANALYZE red_minutes, red_hours`.execute(db);

  const timed = async (name: string, call: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await call();
      times.push(performance.now() - t0);
    }
    process.stdout.write(`${name}: median ${median(times).toFixed(0)} ms\n`);
  };
  const unaligned = { start: new Date(range.start.getTime() + 90_000), end: new Date(range.end.getTime() - 150_000) };
  await timed('serviceRed, 24 h (whole hours), 20 services x 50 operations', () => serviceRed(db, siteId, range));
  await timed('serviceRed, 24 h starting mid-hour (hours + minute edges)', () => serviceRed(db, siteId, unaligned));
  await timed('operationRed of one service, 24 h', () => operationRed(db, siteId, 'service-3', range));
  await timed('redTimeseries of one service, 24 h, 120 steps of 12 min', () => redTimeseries(db, siteId, { service: 'service-3', range, stepMs: 12 * 60_000 }));
  await timed('redTimeseries of one service, 24 h, 1440 steps of 1 min', () => redTimeseries(db, siteId, { service: 'service-3', range, stepMs: 60_000 }));
} finally {
  await handle.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

// Analytics rollup benchmark. Sketch: sizes, and the time to build, merge
// (deserialized from bytes, as a query merges stored rows) and estimate
// visitor sketches, exact and HyperLogLog. Job: `BENCH_ROLLUP_EVENTS` events
// (default 1 million; 4 per visit: 3 pageviews, 1 custom event with a prop)
// of 60,000 visitors over one UTC day, seeded in SQL into a fresh database,
// every quarter marked, then rollupAnalyticsNow timed (the 24 hours from raw
// rows, then the day from the hours), and computeQuarterRollups of one busy
// quarter alone (what a query computes live).
//
//   npm run bench -- rollups                 (embedded PostgreSQL in a temp dir; DATABASE_URL=postgres://… to use one)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { openDatabase } from '../backend/src/db/connect.ts';
import { migrateToLatestOrThrow } from '../backend/src/db/migrate.ts';
import { ensurePartitions } from '../backend/src/db/partitions.ts';
import { rollupAnalyticsNow } from '../backend/src/jobs/analytics-rollups.ts';
import { computeQuarterRollups } from '../backend/src/rollups/analytics-quarter-rollups.ts';
import { EXACT_LIMIT, HLL_BYTES, STANDARD_ERROR, VisitorSketch } from '../backend/src/rollups/visitor-sketch.ts';
import { createSite } from '../backend/src/store/sites.ts';

const totalEvents = Number(process.env.BENCH_ROLLUP_EVENTS ?? 1_000_000);
const logger = pino({ level: 'warn' });

function randomIds(count: number, seed: number): BigInt64Array {
  const out = new BigInt64Array(count);
  const words = new Uint32Array(out.buffer);
  let state = (seed * 2 + 1) | 0;
  for (let i = 0; i < words.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = Math.imul(state, 0x9e3779b1) >>> 0;
  }
  return out;
}

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const result = work();
  return [result, performance.now() - started];
}

// --- Sketch ---
console.log(`visitor sketch: exact up to ${EXACT_LIMIT} IDs, HyperLogLog ${HLL_BYTES} bytes, standard error ${(STANDARD_ERROR * 100).toFixed(3)}%`);
for (const [label, size, count] of [
  ['exact, 50 IDs', 50, 2000],
  ['exact, 500 IDs', 500, 2000],
  ['HyperLogLog, 5,000 IDs', 5000, 2000],
] as const) {
  const [sketches, buildMs] = timed(() => Array.from({ length: count }, (_, i) => VisitorSketch.of(randomIds(size, i + 1))));
  const stored = sketches.map((sketch) => sketch.serialize());
  const [merged, mergeMs] = timed(() => VisitorSketch.merge(stored.map((bytes) => VisitorSketch.deserialize(bytes))));
  const [, estimateMs] = timed(() => {
    for (const sketch of sketches) sketch.estimate();
  });
  console.log(
    `${label}: ${stored[0]!.length} bytes; build ${((buildMs / count) * 1000).toFixed(1)} µs; ` +
      `deserialize + merge ${((mergeMs / count) * 1000).toFixed(1)} µs per sketch (${count} → estimate ${merged.estimate().toFixed(0)}); ` +
      `estimate ${((estimateMs / count) * 1000).toFixed(2)} µs`,
  );
}

// --- Job ---
const dataDir = process.env.DATABASE_URL ? null : await mkdtemp(join(tmpdir(), 'ja-bench-rollups-'));
const handle = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: dataDir ?? '.', logger });
try {
  const db = handle.db;
  await migrateToLatestOrThrow(db);
  const siteId = (await createSite(db, { name: `rollup bench ${Date.now()}` })).id;
  const day = new Date(Date.UTC(2026, 10, 28));
  await ensurePartitions(db, 'events', day, day);
  await ensurePartitions(db, 'sessions', day, day);
  const visits = Math.ceil(totalEvents / 4);
  const seedStarted = performance.now();
  // Visit v: visitor v % 60000, starting at a time spread over the day; its events 0-3 a minute apart.
  await sql`
    INSERT INTO sessions (site_id, started_at, session_id, visitor_id, last_seen_at, hostname, entry_page, exit_page, pageviews, events, engaged,
      referrer, referrer_source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, click_id, country, region, city,
      browser, browser_version, os, os_version, device, origin)
    SELECT ${siteId}, ${day.toISOString()}::timestamptz + (v * 86000.0 / ${visits}) * interval '1 second', v, (v % 60000) * 7919 + 1,
      ${day.toISOString()}::timestamptz + (v * 86000.0 / ${visits}) * interval '1 second' + interval '3 minutes', 'shop.example',
      '/p' || (v % 50), '/p' || (v % 37), 3, 4, true, '', (ARRAY['', 'Google', 'Bing', 'news.ycombinator.com'])[1 + v % 4], 'Direct',
      (ARRAY['', 'newsletter'])[1 + v % 2], '', '', '', '', '', (ARRAY['DE', 'FR', 'US', 'GB', 'IN'])[1 + v % 5], '', '',
      (ARRAY['Chrome', 'Firefox', 'Safari'])[1 + v % 3], '120.0', 'Linux', '', 'desktop', 'browser'
    FROM generate_series(1, ${visits}) AS v`.execute(db);
  await sql`
    INSERT INTO events (site_id, time, time_ns, event_id, name, session_id, visitor_id, hostname, pathname, query, title, props, origin)
    SELECT s.site_id, s.started_at + k * interval '1 minute', 0, int8send(s.session_id * 4 + k), CASE WHEN k = 3 THEN 'signup' ELSE 'pageview' END,
      s.session_id, s.visitor_id, 'shop.example', '/p' || ((s.session_id + k) % 50), '', '',
      CASE WHEN k = 3 THEN jsonb_build_object('plan', (ARRAY['free', 'pro'])[1 + s.session_id % 2]) ELSE '{}'::jsonb END, 'browser'
    FROM sessions s CROSS JOIN generate_series(0, 3) AS k
    WHERE s.site_id = ${siteId}`.execute(db);
  await sql`ANALYZE events`.execute(db);
  await sql`ANALYZE sessions`.execute(db);
  await sql`
    INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at)
    SELECT ${siteId}, ${day.toISOString()}::timestamptz + q * interval '15 minutes', now() - interval '1 minute' FROM generate_series(0, 95) AS q`.execute(db);
  console.log(`seeded ${visits * 4} events, ${visits} visits in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const quarter = new Date(day.getTime() + 40 * 15 * 60_000);
  const quarterStarted = performance.now();
  const quarterRows = await computeQuarterRollups(db, siteId, [quarter]);
  console.log(`computeQuarterRollups, one quarter (${Math.round((visits * 4) / 96)} events): ${quarterRows.length} rows in ${(performance.now() - quarterStarted).toFixed(0)} ms`);

  const jobStarted = performance.now();
  const result = await rollupAnalyticsNow(db, siteId);
  const jobMs = performance.now() - jobStarted;
  const { rows: sizes } = await sql<{ grain: number; rows: string; bytes: string }>`
    SELECT grain, count(*) AS rows, sum(octet_length(visitors) + coalesce(octet_length(visit_sketch), 0)) AS bytes
    FROM analytics_rollups WHERE site_id = ${siteId} GROUP BY grain ORDER BY grain`.execute(db);
  console.log(`rollupAnalyticsNow: ${result.buckets} quarters in ${result.batches} batches, ${result.rows} rows, ${(jobMs / 1000).toFixed(2)} s (${((visits * 4) / (jobMs / 1000)).toFixed(0)} events/s)`);
  for (const size of sizes) console.log(`  grain ${size.grain}: ${size.rows} rows, sketches ${(Number(size.bytes) / 1024).toFixed(0)} KiB`);
  const { rows: total } = await sql<{ visitors: Buffer }>`SELECT visitors FROM analytics_rollups WHERE site_id = ${siteId} AND grain = 1440 AND dimension = ''`.execute(db);
  console.log(`day's visitors: estimate ${VisitorSketch.deserialize(total[0]!.visitors).estimate().toFixed(0)} of 60000`);
} finally {
  await handle.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

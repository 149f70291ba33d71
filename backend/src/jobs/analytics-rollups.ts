import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { ensurePartitionDays, utcDayNumber } from '../db/partitions.ts';
import { computeRollups } from '../rollups/analytics-quarter-rollups.ts';
import {
  bucketStart,
  DAY_GRAIN,
  HOUR_GRAIN,
  mergeRollupRows,
  rollupRowFromStored,
  type AnalyticsRollupRow,
  type RollupGrain,
} from '../rollups/analytics-rollup-rows.ts';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.ts';

// The analytics rollups: the store marks the quarter hours each flush touched
// (analytics_dirty_buckets); this job recomputes the UTC hours holding them
// straight from raw events and sessions (grouped by hour in SQL, a query pair
// per day of hours), then the UTC days holding those (merged from the day's
// hour rows: merges are exact, see visitor-sketch.ts), replaces their rows
// and clears the marks it handled, one transaction per batch of one site's
// marks. Quarter hours are not stored: queries compute the few they need
// from raw rows. Rows are replaced, never added to, so a rerun or a run in
// another process leaves the same rows.
//
// A mark is cleared only if it is still the version read at the batch's
// start (same marked_at, to the microsecond): a flush that marks the bucket
// again meanwhile, whose events the recompute may not have seen, leaves its
// mark for the next run. (Comparing marked_at with the time the marks were
// read would lose such a flush when it began before that time and committed
// after the recompute.)

/** Seconds between runs unless configured (`JUSTANALYTICS_ANALYTICS_ROLLUP_INTERVAL_SECONDS`). */
export const ANALYTICS_ROLLUP_INTERVAL_SECONDS = 60;

export interface AnalyticsRollupOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Time between runs. Default 60 s. */
  intervalMs?: number;
  /** A mark is handled once it is this old, so a busy quarter is recomputed once it quiets down, not at every flush. Default 10 s. */
  settleMs?: number;
  /** Marked quarters per transaction (one site's; their hours are recomputed). Default 96, a day. */
  batchBuckets?: number;
  /** Transactions per run at most; the rest waits for the next run. Default 100. */
  maxBatches?: number;
}

export interface AnalyticsRollupResult {
  /** False when another process held the lock, so this run stood aside. */
  ran: boolean;
  /** Batches committed. */
  batches: number;
  /** Quarter buckets recomputed. */
  buckets: number;
  /** Rollup rows written, every grain. */
  rows: number;
}

// Taken per transaction: one process rolls up at a time.
const rollupLock = 0x6a615f616e616c79n; // "ja_analy"
const dayMs = 86_400_000;

interface BatchOptions {
  settleMs: number;
  batchBuckets: number;
  /** Wait for the lock (rollupAnalyticsNow) rather than stand aside (the job). */
  waitForLock: boolean;
  siteId?: string;
}

type BatchOutcome = { kind: 'locked' } | { kind: 'idle' } | { kind: 'done'; buckets: number; rows: number };

/** One run: handles settled marks, batch by batch, until none is left or maxBatches. */
export async function runAnalyticsRollups(options: Omit<AnalyticsRollupOptions, 'logger' | 'intervalMs'>): Promise<AnalyticsRollupResult> {
  const batch: BatchOptions = { settleMs: options.settleMs ?? 10_000, batchBuckets: options.batchBuckets ?? 96, waitForLock: false };
  return runBatches(options.db, batch, options.maxBatches ?? 100);
}

/**
 * Rolls up every marked quarter now (of one site, or all), however recent the
 * mark, waiting for another process's run rather than standing aside: for
 * tests and benchmarks, which then read rollups that match the raw rows.
 */
export async function rollupAnalyticsNow(db: Kysely<Database>, siteId?: string): Promise<AnalyticsRollupResult> {
  return runBatches(db, { settleMs: 0, batchBuckets: 96, waitForLock: true, siteId }, Number.POSITIVE_INFINITY);
}

/** Runs the rollup now and then every intervalMs until stopped. */
export function startAnalyticsRollups(options: AnalyticsRollupOptions): PeriodicJob {
  return startPeriodicJob('analytics rollup', options.intervalMs ?? ANALYTICS_ROLLUP_INTERVAL_SECONDS * 1000, options.logger, async () => {
    const result = await runAnalyticsRollups(options);
    options.logger.debug({ ran: result.ran, batches: result.batches, buckets: result.buckets, rows: result.rows }, 'analytics rollup');
  });
}

async function runBatches(db: Kysely<Database>, options: BatchOptions, maxBatches: number): Promise<AnalyticsRollupResult> {
  const result: AnalyticsRollupResult = { ran: true, batches: 0, buckets: 0, rows: 0 };
  while (result.batches < maxBatches) {
    const outcome = await runBatch(db, options);
    if (outcome.kind === 'locked') return { ...result, ran: result.batches > 0 };
    if (outcome.kind === 'idle') return result;
    result.batches++;
    result.buckets += outcome.buckets;
    result.rows += outcome.rows;
  }
  return result;
}

async function runBatch(db: Kysely<Database>, options: BatchOptions): Promise<BatchOutcome> {
  // Which quarters, read before the transaction so that their days' partitions
  // are made first, in a DDL transaction of their own (never while holding the batch's locks).
  const candidates = await settledMarks(db, options);
  if (candidates === null) return { kind: 'idle' };
  await ensurePartitionDays(db, 'analytics_rollups', candidates.buckets.map(utcDayNumber));

  return db.transaction().execute(async (trx): Promise<BatchOutcome> => {
    if (options.waitForLock) {
      await sql`SELECT pg_advisory_xact_lock(${rollupLock.toString()}::bigint)`.execute(trx);
    } else {
      const { rows: locked } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${rollupLock.toString()}::bigint) AS locked`.execute(trx);
      if (locked[0]?.locked !== true) return { kind: 'locked' };
    }

    // The marks as they are now (another process may have handled some), with marked_at to the microsecond.
    const siteId = candidates.siteId;
    const { rows: marks } = await sql<{ bucket: Date; marked_us: string }>`
      SELECT bucket, (extract(epoch FROM marked_at) * 1000000)::bigint AS marked_us
      FROM analytics_dirty_buckets
      WHERE site_id = ${siteId} AND bucket = ANY(${candidates.buckets.map((bucket) => bucket.toISOString())}::timestamptz[])
      ORDER BY bucket`.execute(trx);
    if (marks.length === 0) return { kind: 'done', buckets: 0, rows: 0 };
    const quarters = marks.map((mark) => mark.bucket);

    // Each marked quarter's hour, recomputed whole from raw rows (a pair of
    // queries per day's worth of hours, grouped by hour); each of their days
    // merged from its hours: the new ones, and the stored ones of hours not
    // marked. (An hour whose marks fall in two batches is computed twice.)
    const hours = distinctBuckets(quarters, HOUR_GRAIN);
    // A day's (event or visit, dimension) rows, 2M at 10M events a month, grouped in memory rather than on disk.
    await sql`SET LOCAL work_mem = '256MB'`.execute(trx);
    const hourRows = await computeRollups(trx, siteId, HOUR_GRAIN, hours);
    let written = await replaceRows(trx, siteId, HOUR_GRAIN, hours, hourRows);
    const days = distinctBuckets(quarters, DAY_GRAIN);
    const unchangedHours = await readRows(trx, siteId, HOUR_GRAIN, days, dayMs, hours);
    const dayRows = mergeRollupRows([...unchangedHours, ...hourRows], DAY_GRAIN, (bucket) => bucketStart(bucket, DAY_GRAIN));
    written += await replaceRows(trx, siteId, DAY_GRAIN, days, dayRows);

    await sql`
      DELETE FROM analytics_dirty_buckets d
      USING unnest(${quarters.map((bucket) => bucket.toISOString())}::timestamptz[], ${marks.map((mark) => mark.marked_us)}::bigint[]) AS handled(bucket, marked_us)
      WHERE d.site_id = ${siteId} AND d.bucket = handled.bucket
        AND (extract(epoch FROM d.marked_at) * 1000000)::bigint = handled.marked_us`.execute(trx);
    return { kind: 'done', buckets: quarters.length, rows: written };
  });
}

/** The settled marks of the site with the oldest one: up to batchBuckets of its quarters, oldest bucket first. */
async function settledMarks(db: Kysely<Database>, options: BatchOptions): Promise<{ siteId: string; buckets: Date[] } | null> {
  const settled = sql`marked_at <= now() - ${`${options.settleMs} milliseconds`}::interval`;
  const site = options.siteId === undefined ? sql`` : sql`AND site_id = ${options.siteId}`;
  const { rows } = await sql<{ site_id: string; bucket: Date }>`
    SELECT site_id, bucket FROM analytics_dirty_buckets
    WHERE site_id = (SELECT site_id FROM analytics_dirty_buckets WHERE ${settled} ${site} ORDER BY marked_at LIMIT 1)
      AND ${settled}
    ORDER BY bucket
    LIMIT ${options.batchBuckets}`.execute(db);
  if (rows.length === 0) return null;
  return { siteId: rows[0]!.site_id, buckets: rows.map((row) => row.bucket) };
}

function distinctBuckets(quarters: readonly Date[], grain: RollupGrain): Date[] {
  const starts = new Set(quarters.map((quarter) => bucketStart(quarter, grain).getTime()));
  return [...starts].sort((a, b) => a - b).map((ms) => new Date(ms));
}

/** The rows of `grain` inside the given [start, start + lengthMs) spans, but those of buckets `except`. */
async function readRows(db: Kysely<Database>, siteId: string, grain: RollupGrain, starts: readonly Date[], lengthMs: number, except: readonly Date[]): Promise<AnalyticsRollupRow[]> {
  const stored = await db
    .selectFrom('analytics_rollups')
    .select(['bucket', 'grain', 'dimension', 'value', 'visitors', 'visit_sketch', 'visits', 'pageviews', 'events', 'bounces', 'duration_ms'])
    .where('site_id', '=', siteId)
    .where('grain', '=', grain)
    .where((eb) => eb.or(starts.map((start) => eb.and([eb('bucket', '>=', start), eb('bucket', '<', new Date(start.getTime() + lengthMs))]))))
    .where(sql<boolean>`bucket <> ALL(${except.map((bucket) => bucket.toISOString())}::timestamptz[])`)
    .execute();
  return stored.map(rollupRowFromStored);
}

/** Replaces the site's rows of `grain` at `buckets` with `rows`; returns how many were inserted. */
async function replaceRows(db: Kysely<Database>, siteId: string, grain: RollupGrain, buckets: readonly Date[], rows: readonly AnalyticsRollupRow[]): Promise<number> {
  await sql`
    DELETE FROM analytics_rollups
    WHERE site_id = ${siteId} AND grain = ${grain} AND bucket = ANY(${buckets.map((bucket) => bucket.toISOString())}::timestamptz[])`.execute(db);
  // The rows as parallel arrays, unnested, a few thousand per statement (a parameter's text stays well below 1 GB).
  for (let at = 0; at < rows.length; at += INSERT_ROWS) await insertRows(db, siteId, grain, rows.slice(at, at + INSERT_ROWS));
  return rows.length;
}

const INSERT_ROWS = 5000;

async function insertRows(db: Kysely<Database>, siteId: string, grain: RollupGrain, rows: readonly AnalyticsRollupRow[]): Promise<void> {
  await sql`
    INSERT INTO analytics_rollups (site_id, bucket, grain, dimension, value, visitors, visit_sketch, visits, pageviews, events, bounces, duration_ms)
    SELECT ${siteId}::bigint, r.bucket, ${grain}::smallint, r.dimension, r.value, r.visitors, r.visit_sketch, r.visits, r.pageviews, r.events, r.bounces, r.duration_ms
    FROM unnest(
      ${rows.map((row) => row.bucket.toISOString())}::timestamptz[],
      ${rows.map((row) => row.dimension)}::text[],
      ${rows.map((row) => row.value)}::text[],
      ${rows.map((row) => row.visitors.serialize())}::bytea[],
      ${rows.map((row) => row.visitSketch?.serialize() ?? null)}::bytea[],
      ${rows.map((row) => row.visits)}::bigint[],
      ${rows.map((row) => row.pageviews)}::bigint[],
      ${rows.map((row) => row.events)}::bigint[],
      ${rows.map((row) => row.bounces)}::bigint[],
      ${rows.map((row) => row.durationMs)}::bigint[]
    ) AS r(bucket, dimension, value, visitors, visit_sketch, visits, pageviews, events, bounces, duration_ms)`.execute(db);
}

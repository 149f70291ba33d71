import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { ensurePartitions } from '../db/partitions.ts';
import { callsCte, setCallsPlanner } from '../query/traces/service-map-calls.ts';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.ts';

// The service map's edge rollup: per site, minute and edge, the calls and
// their latency sketch, recomputed from stored spans for recent closed minutes
// and replaced (never added to), so that a rerun, or the same run in another
// process, leaves the same rows. The service map reads it for whole minutes
// and joins live only the rest (query/traces/service-map-edges.ts).

export interface ServiceEdgeRollupOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** A minute is first computed this long after it ends, so most of its spans (and their callers' and callees') have arrived. Default 60 s. */
  lagMs?: number;
  /**
   * Each run recomputes this many closed minutes, so spans that arrive late
   * (retries, consumers within the service map's slack) are counted; later
   * than that they are missing from the rollup. Default 15.
   */
  recomputeMinutes?: number;
  /** After a pause longer than this, the rollup starts again from recent minutes (older ones are then read live). Default 60. */
  maxCatchUpMinutes?: number;
  /** Time between runs. Default 1 minute. */
  intervalMs?: number;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

export interface ServiceEdgeRollupResult {
  /** False when another process held the lock, so this run did nothing. */
  ran: boolean;
  /** The minutes recomputed, [from, until). */
  from?: Date;
  until?: Date;
  /** Rollup rows written. */
  rows: number;
}


const MINUTE_MS = 60_000;
// Taken with try-lock: when another process is computing, skip this run.
const rollupLock = 0x6a615f6564676573n; // "ja_edges"

/** One run: recomputes the recent closed minutes of every site. Idempotent; concurrent runs do the work once. */
export async function runServiceEdgeRollup(options: Omit<ServiceEdgeRollupOptions, 'intervalMs' | 'logger'>): Promise<ServiceEdgeRollupResult> {
  const { db } = options;
  const recompute = (options.recomputeMinutes ?? 15) * MINUTE_MS;
  const maxCatchUp = Math.max(options.maxCatchUpMinutes ?? 60, options.recomputeMinutes ?? 15) * MINUTE_MS;
  const until = Math.floor(((options.now ?? Date.now)() - (options.lagMs ?? 60_000)) / MINUTE_MS) * MINUTE_MS;
  // Every day the run may write (partition DDL runs in a transaction of its own, before the run's).
  await ensurePartitions(db, 'service_edge_minutes', new Date(until - maxCatchUp), new Date(until));
  return db.transaction().execute(async (trx) => {
    const { rows: locked } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${rollupLock.toString()}::bigint) AS locked`.execute(trx);
    if (locked[0]?.locked !== true) return { ran: false, rows: 0 };
    const progress = await trx.selectFrom('service_edge_progress').select(['computed_from', 'computed_until']).executeTakeFirst();
    // Coverage stays one unbroken span of minutes: after a long pause it starts again.
    const continues = progress !== undefined && progress.computed_until.getTime() >= until - maxCatchUp;
    const from = continues ? Math.min(until - recompute, progress.computed_until.getTime()) : until - recompute;
    if (from >= until) return { ran: true, rows: 0 };
    const range = { start: new Date(from), end: new Date(until) };

    await setCallsPlanner(trx);
    await trx.deleteFrom('service_edge_minutes').where('time', '>=', range.start).where('time', '<', range.end).execute();
    const inserted = await sql`
      INSERT INTO service_edge_minutes (site_id, time, source, target, target_type, connection, call_count, error_count, latency_buckets, latency_counts)
      ${callsCte(null, range)}
      SELECT site_id, minute, source, target, target_type, connection, sum(calls), sum(errors),
        array_agg(bucket ORDER BY bucket), array_agg(calls ORDER BY bucket)
      FROM (
        SELECT site_id, date_trunc('minute', start_time) AS minute, source, target, target_type, connection,
          red_latency_bucket(duration_ns) AS bucket, count(*) AS calls, count(*) FILTER (WHERE failed) AS errors
        FROM calls
        GROUP BY 1, 2, 3, 4, 5, 6, 7
      ) buckets
      GROUP BY 1, 2, 3, 4, 5, 6`.execute(trx);

    const computedFrom = continues ? progress.computed_from : range.start;
    const computedUntil = continues && progress.computed_until > range.end ? progress.computed_until : range.end;
    await trx
      .insertInto('service_edge_progress')
      .values({ computed_from: computedFrom, computed_until: computedUntil })
      .onConflict((oc) => oc.column('id').doUpdateSet({ computed_from: computedFrom, computed_until: computedUntil }))
      .execute();
    return { ran: true, from: range.start, until: range.end, rows: Number(inserted.numAffectedRows ?? 0n) };
  });
}

/** Runs the rollup now and then every intervalMs until stopped. */
export function startServiceEdgeRollup(options: ServiceEdgeRollupOptions): PeriodicJob {
  return startPeriodicJob('service edge rollup', options.intervalMs ?? MINUTE_MS, options.logger, async () => {
    const result = await runServiceEdgeRollup(options);
    options.logger.debug({ ran: result.ran, from: result.from, until: result.until, rows: result.rows }, 'service edge rollup');
  });
}

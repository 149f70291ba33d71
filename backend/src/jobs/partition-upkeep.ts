import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { dayNumberToDate, dropPartitionsBefore, ensurePartitions, partitionedTables, tableRetentionDays, utcDayNumber, type StoredSignal } from '../db/partitions.ts';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.ts';

export interface PartitionUpkeepOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Partitions whose day is more than this many days before today are dropped, unless the signal has its own retention. */
  retentionDays: number;
  /** Retention of signals that differ from retentionDays. A table shared by signals keeps the longest of theirs. */
  signalRetentionDays?: Partial<Record<StoredSignal, number>>;
  /** Days the analytics rollups and drop counts are kept. Default ANALYTICS_ROLLUP_RETENTION_DAYS (800). */
  analyticsRollupRetentionDays?: number;
  /** Days ahead the store accepts; partitions are made one day beyond. Default 1. */
  futureDays?: number;
  /** Time between runs. Default 1 hour. */
  intervalMs?: number;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

export interface PartitionUpkeepResult {
  /** False when another process held the upkeep lock, so this run did nothing. */
  ran: boolean;
  created: string[];
  dropped: string[];
}

// Taken with try-lock: when another process is doing the upkeep, skip it.
const upkeepLock = 0x6a615f6b656570n; // "ja_keep"

/**
 * One upkeep pass: partitions from yesterday to futureDays + 1 ahead exist,
 * and those older than their signal's retention are dropped (retention never DELETEs rows).
 * Idempotent; concurrent passes in several processes do the work once.
 */
export async function runPartitionUpkeep(options: Omit<PartitionUpkeepOptions, 'intervalMs'>): Promise<PartitionUpkeepResult> {
  const today = utcDayNumber(new Date((options.now ?? Date.now)()));
  const futureDays = options.futureDays ?? 1;
  const retention = { days: options.retentionDays, bySignal: options.signalRetentionDays, analyticsRollupDays: options.analyticsRollupRetentionDays };
  return options.db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${upkeepLock.toString()}::bigint) AS locked`.execute(trx);
    if (rows[0]?.locked !== true) return { ran: false, created: [], dropped: [] };
    const created: string[] = [];
    const dropped: string[] = [];
    for (const table of partitionedTables) {
      created.push(...(await ensurePartitions(trx, table, dayNumberToDate(today - 1), dayNumberToDate(today + futureDays + 1))));
      dropped.push(...(await dropPartitionsBefore(trx, table, dayNumberToDate(today - tableRetentionDays(retention, table)))));
    }
    return { ran: true, created, dropped };
  });
}

/** Runs the upkeep now and then every intervalMs until stopped. */
export function startPartitionUpkeep(options: PartitionUpkeepOptions): PeriodicJob {
  const { logger } = options;
  return startPeriodicJob('partition upkeep', options.intervalMs ?? 3_600_000, logger, async () => {
    const result = await runPartitionUpkeep(options);
    if (result.created.length > 0 || result.dropped.length > 0) logger.info({ created: result.created, dropped: result.dropped }, 'partition upkeep');
    else logger.debug({ ran: result.ran }, 'partition upkeep: nothing to do');
  });
}

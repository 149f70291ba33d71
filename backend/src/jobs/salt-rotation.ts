import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { dayOfMs } from '../db/days.ts';
import { ensureSalt } from '../store/visitor-salts.ts';
import { startPeriodicJob, type PeriodicJob } from './periodic-job.ts';

/** A salt is deleted once this long has passed since its day began: its day, then a day as the previous salt. */
export const SALT_KEPT_MS = 48 * 3_600_000;

export interface SaltRotationOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** Time between runs. Default 1 minute, so a salt goes within a minute of its 48 hours. */
  intervalMs?: number;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
}

export interface SaltRotationResult {
  /** False when another process held the rotation lock, so this run did nothing. */
  ran: boolean;
  /** UTC days ('YYYY-MM-DD') whose salts were deleted. */
  deleted: string[];
}

// Taken with try-lock: when another process is rotating, skip it.
const rotationLock = 0x6a615f73616c74n; // "ja_salt"

/**
 * One rotation pass: today's salt exists (receivers would make it anyway on
 * the first event; making it here keeps that off the request path), and the
 * salts of days that began more than 48 hours ago are deleted, so no visitor
 * hash older than that can be recomputed. Safe in several processes at once.
 */
export async function runSaltRotation(options: Omit<SaltRotationOptions, 'intervalMs' | 'logger'>): Promise<SaltRotationResult> {
  const nowMs = (options.now ?? Date.now)();
  return options.db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${rotationLock.toString()}::bigint) AS locked`.execute(trx);
    if (rows[0]?.locked !== true) return { ran: false, deleted: [] };
    await ensureSalt(trx, dayOfMs(nowMs));
    const deleted = await sql<{ day: string }>`
      DELETE FROM visitor_salts
      WHERE day::timestamp AT TIME ZONE 'UTC' < ${new Date(nowMs - SALT_KEPT_MS).toISOString()}::timestamptz
      RETURNING day::text AS day`.execute(trx);
    return { ran: true, deleted: deleted.rows.map((row) => row.day).sort() };
  });
}

/** Runs the rotation now and then every intervalMs until stopped. */
export function startSaltRotation(options: SaltRotationOptions): PeriodicJob {
  const { logger } = options;
  return startPeriodicJob('salt rotation', options.intervalMs ?? 60_000, logger, async () => {
    const result = await runSaltRotation(options);
    if (result.deleted.length > 0) logger.info({ deleted: result.deleted }, 'visitor salts deleted');
  });
}

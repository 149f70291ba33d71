import type { DropCounter, DropReason } from '@justanalytics/collector';
import { sql, type Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { dayOfMs, dayStart } from '../db/days.ts';
import { ensurePartitionDays } from '../db/partitions.ts';
import { isRowId } from './ids.ts';

export interface DropCountsOptions {
  /** Where failed writes are reported. Default: nowhere. */
  logger?: Logger;
  /** Time between writes of the counts. Default 5 s. */
  intervalMs?: number;
}

/**
 * Counts dropped events per site, UTC day and reason in memory (count() is
 * called on the request path and never waits or throws), and adds the counts
 * to analytics_drops every few seconds and at stop, one upsert per write.
 * Counts that could not be written are kept for the next try; a stop while
 * the database is down loses them (they are statistics, not events).
 */
export class DropCounts implements DropCounter {
  readonly #db: Kysely<Database>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> | null = null;
  readonly #daysWithPartitions = new Set<number>();

  constructor(db: Kysely<Database>, options: DropCountsOptions = {}) {
    this.#db = db;
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#intervalMs = options.intervalMs ?? 5_000;
  }

  count(siteId: string, reason: DropReason, nowMs: number): void {
    if (!isRowId(siteId) || !Number.isFinite(nowMs)) return;
    const key = `${siteId} ${dayOfMs(nowMs)} ${reason}`;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  /** Starts writing the counts every intervalMs. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => void this.flush(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is counted. Never rejects. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  /** Writes the counts so far (after a write under way). Never rejects: a failure is logged and the counts kept. */
  async flush(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
    if (this.#pending.size === 0) return;
    const counts = this.#pending;
    this.#pending = new Map();
    this.#writing = this.#write(counts)
      .catch((error: unknown) => {
        for (const [key, n] of counts) this.#pending.set(key, (this.#pending.get(key) ?? 0) + n);
        this.#logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'writing drop counts failed; kept for the next try');
      })
      .finally(() => {
        this.#writing = null;
      });
    await this.#writing;
  }

  async #write(counts: ReadonlyMap<string, number>): Promise<void> {
    const sites: string[] = [];
    const days: string[] = [];
    const reasons: string[] = [];
    const ns: string[] = [];
    const newDays = new Set<number>();
    for (const [key, n] of counts) {
      const [siteId, day, reason] = key.split(' ') as [string, string, string];
      sites.push(siteId);
      days.push(dayStart(Number(day)).toISOString());
      reasons.push(reason);
      ns.push(String(n));
      if (!this.#daysWithPartitions.has(Number(day))) newDays.add(Number(day));
    }
    if (newDays.size > 0) {
      await ensurePartitionDays(this.#db, 'analytics_drops', [...newDays]);
      for (const day of newDays) this.#daysWithPartitions.add(day);
    }
    await sql`
      INSERT INTO analytics_drops AS d (site_id, day, reason, count)
      SELECT * FROM unnest(${sites}::int8[], ${days}::timestamptz[], ${reasons}::text[], ${ns}::int8[])
      ON CONFLICT (site_id, day, reason) DO UPDATE SET count = d.count + EXCLUDED.count`.execute(this.#db);
  }
}

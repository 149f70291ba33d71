import type pg from 'pg';
import { QUARTER_GRAIN } from '../../rollups/analytics-rollup-rows.ts';

/** The rollups' finest grain: 15 minutes, which every IANA offset is a multiple of. */
export const DIRTY_BUCKET_MS = QUARTER_GRAIN * 60_000;

/** Collects the 15-minute buckets a flush touched, per site. */
export class DirtyBuckets {
  readonly #keys = new Set<string>();

  /** The bucket holding `timeMs` of `siteId`. */
  add(siteId: string, timeMs: number): void {
    this.#keys.add(`${siteId} ${Math.floor(timeMs / DIRTY_BUCKET_MS) * DIRTY_BUCKET_MS}`);
  }

  get size(): number {
    return this.#keys.size;
  }

  /** (site, bucket start ms) pairs, sorted: concurrent markers lock rows in one order. */
  entries(): Array<[siteId: string, bucketMs: number]> {
    return [...this.#keys]
      .map((key): [string, number] => {
        const space = key.indexOf(' ');
        return [key.slice(0, space), Number(key.slice(space + 1))];
      })
      .sort((a, b) => compareSiteIds(a[0], b[0]) || a[1] - b[1]);
  }
}

function compareSiteIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Marks the buckets dirty for the analytics-rollups job, in the flush's
 * transaction: a rollup never misses a committed event, and a rolled-back
 * flush marks nothing. A mark already there gets a new marked_at (the clock,
 * not the transaction's start), so the job, which deletes only marks whose
 * marked_at is still what it read, rolls the bucket up again.
 */
export async function markDirtyBuckets(client: pg.PoolClient, buckets: DirtyBuckets): Promise<void> {
  if (buckets.size === 0) return;
  const entries = buckets.entries();
  await client.query(
    `INSERT INTO analytics_dirty_buckets (site_id, bucket, marked_at)
     SELECT site_id, bucket, clock_timestamp() FROM unnest($1::int8[], $2::timestamptz[]) AS d(site_id, bucket)
     ON CONFLICT (site_id, bucket) DO UPDATE SET marked_at = clock_timestamp()`,
    [entries.map((entry) => entry[0]), entries.map((entry) => new Date(entry[1]).toISOString())],
  );
}

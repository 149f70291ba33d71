import type { IdentityRow } from '@justanalytics/collector';
import type pg from 'pg';
import { nanosToTimestamp } from '../../db/copy-text.ts';
import { dayOfNanos } from '../../db/days.ts';
import type { PartitionedTable } from '../../db/partitions.ts';
import { identityColumns, type IdentityUpsert } from '../../db/tables/identities.ts';
import { unnestInsert, unnestParams } from '../../db/tables/columns.ts';
import { admitByDay } from '../admit-by-day.ts';
import type { Admission, DayWindow, SignalWriter, SiteRows } from '../signal-writer.ts';
import { DirtyBuckets, markDirtyBuckets } from './dirty-buckets.ts';
import { lockSitesForSessions } from './site-locks.ts';

// The latest identify wins (by its time), the first one's time is kept.
const upsertIdentitiesSql = `${unnestInsert('identities', identityColumns, 'i')}
ON CONFLICT (site_id, anonymous_id) DO UPDATE SET
  user_id = CASE WHEN EXCLUDED.last_seen_at >= i.last_seen_at THEN EXCLUDED.user_id ELSE i.user_id END,
  traits = CASE WHEN EXCLUDED.last_seen_at >= i.last_seen_at THEN EXCLUDED.traits ELSE i.traits END,
  first_seen_at = LEAST(i.first_seen_at, EXCLUDED.first_seen_at),
  last_seen_at = GREATEST(i.last_seen_at, EXCLUDED.last_seen_at)
RETURNING site_id, anonymous_id, user_id`;

// Every session of the anonymous ID belongs to its user from now on; their
// start buckets change (user-level numbers), so the rollups redo them.
const updateSessionsSql = `
UPDATE sessions s SET user_id = v.user_id
FROM unnest($1::int8[], $2::text[], $3::text[]) AS v(site_id, anonymous_id, user_id)
WHERE s.site_id = v.site_id AND s.anonymous_id = v.anonymous_id AND s.user_id IS DISTINCT FROM v.user_id
RETURNING s.site_id, (extract(epoch FROM s.started_at) * 1000)::float8 AS started_ms`;

/**
 * The identities signal's writer: per flush, upserts one identity per (site,
 * anonymous ID) (latest wins) and gives the anonymous ID's stored sessions
 * the user, marking their start buckets dirty. It takes the sites' session
 * locks first, as the event writer does, so the two never deadlock on
 * sessions rows.
 */
export class IdentityWriter implements SignalWriter<IdentityRow> {
  readonly tables: readonly PartitionedTable[] = [];

  admit(rows: readonly IdentityRow[], window: DayWindow): Admission<IdentityRow> {
    return admitByDay(rows, window, { noun: ['identify', 'identifies'], dated: 'dated', dayOf: (row) => dayOfNanos(row.timeUnixNano) });
  }

  async write(client: pg.PoolClient, writes: readonly SiteRows<IdentityRow>[]): Promise<undefined> {
    const latest = new Map<string, { siteId: string; row: IdentityRow }>();
    for (const { siteId, rows } of writes) {
      for (const { row } of rows) {
        const key = `${siteId} ${row.anonymousId}`;
        const known = latest.get(key);
        if (known === undefined || known.row.timeUnixNano <= row.timeUnixNano) latest.set(key, { siteId, row });
      }
    }
    if (latest.size === 0) return undefined;
    await lockSitesForSessions(
      client,
      [...latest.values()].map(({ siteId }) => siteId),
    );
    const upserts: IdentityUpsert[] = [...latest.values()].map(({ siteId, row }) => ({
      siteId,
      anonymousId: row.anonymousId,
      userId: row.userId,
      traits: row.traits,
      seenAt: nanosToTimestamp(row.timeUnixNano),
    }));
    const identities = await client.query<{ site_id: string; anonymous_id: string; user_id: string }>(upsertIdentitiesSql, unnestParams(identityColumns, upserts));
    const { rows } = identities;
    const sessions = await client.query<{ site_id: string; started_ms: number }>(updateSessionsSql, [
      rows.map((row) => row.site_id),
      rows.map((row) => row.anonymous_id),
      rows.map((row) => row.user_id),
    ]);
    const dirty = new DirtyBuckets();
    for (const row of sessions.rows) dirty.add(row.site_id, row.started_ms);
    await markDirtyBuckets(client, dirty);
    return undefined;
  }
}

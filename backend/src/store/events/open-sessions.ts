import type pg from 'pg';
import { microsToTimestamp } from './session-upsert.ts';
import type { OpenSession } from './session-assignment.ts';
import { SESSION_TIMEOUT_US } from './session-rules.ts';

/** How far back a joinable session may have started: bounds the partitions the lookup reads. */
const maxSessionAgeUs = 2n * 86_400_000_000n;

/**
 * The stored sessions a flush's events may join, by site: those of the
 * given visitor IDs (current and previous-day ones) last seen no more than
 * the timeout before the flush's earliest event, and started in the last two
 * days. One query for the whole flush.
 */
export async function findOpenSessions(
  client: pg.PoolClient,
  visitors: ReadonlyArray<{ siteId: string; visitorId: bigint }>,
  earliestUs: bigint,
): Promise<Map<string, OpenSession[]>> {
  const bySite = new Map<string, OpenSession[]>();
  if (visitors.length === 0) return bySite;
  const { rows } = await client.query<{ site_id: string; session_id: string; visitor_id: string; started_us: string; last_seen_us: string }>(
    `SELECT s.site_id, s.session_id, s.visitor_id,
            (extract(epoch FROM s.started_at)::numeric * 1000000)::int8 AS started_us,
            (extract(epoch FROM s.last_seen_at)::numeric * 1000000)::int8 AS last_seen_us
     FROM unnest($1::int8[], $2::int8[]) AS v(site_id, visitor_id)
     JOIN sessions s ON s.site_id = v.site_id AND s.visitor_id = v.visitor_id
     WHERE s.last_seen_at >= $3::timestamptz AND s.started_at >= $4::timestamptz`,
    [
      visitors.map((visitor) => visitor.siteId),
      visitors.map((visitor) => visitor.visitorId.toString()),
      microsToTimestamp(earliestUs - SESSION_TIMEOUT_US),
      microsToTimestamp(earliestUs - maxSessionAgeUs),
    ],
  );
  for (const row of rows) {
    const sessions = bySite.get(row.site_id) ?? [];
    sessions.push({ sessionId: BigInt(row.session_id), visitorId: BigInt(row.visitor_id), startedUs: BigInt(row.started_us), lastSeenUs: BigInt(row.last_seen_us) });
    bySite.set(row.site_id, sessions);
  }
  return bySite;
}

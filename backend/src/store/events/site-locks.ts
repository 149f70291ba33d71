import type pg from 'pg';

// One lock class for session assignment ("jaev"), keyed by site: flushes of
// one site (in any process) assign sessions one at a time, so two flushes
// never both start a session for the same visitor.
const sessionLockClass = 0x6a616576;

/**
 * Takes the transaction-scoped session lock of each site, in ascending site
 * order (so two flushes of overlapping sites never wait on each other in a
 * cycle). Taking a lock the transaction holds already is harmless.
 */
export async function lockSitesForSessions(client: pg.PoolClient, siteIds: Iterable<string>): Promise<void> {
  const sorted = [...new Set(siteIds)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
  if (sorted.length === 0) return;
  // The site's int8 folded into the int4 key: a collision only serialises two sites.
  await client.query(
    `SELECT pg_advisory_xact_lock($1::int4, (s % 2147483647)::int4) FROM unnest($2::int8[]) WITH ORDINALITY AS u(s, n) ORDER BY n`,
    [sessionLockClass, sorted],
  );
}

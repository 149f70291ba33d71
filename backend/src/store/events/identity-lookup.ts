import type pg from 'pg';

/**
 * The users of the identified anonymous IDs among `anonymous` (site, ID)
 * pairs, as a map from `${siteId} ${anonymousId}` to user ID. One query.
 */
export async function findIdentities(client: pg.PoolClient, anonymous: ReadonlyArray<{ siteId: string; anonymousId: string }>): Promise<Map<string, string>> {
  const users = new Map<string, string>();
  if (anonymous.length === 0) return users;
  const { rows } = await client.query<{ site_id: string; anonymous_id: string; user_id: string }>(
    `SELECT i.site_id, i.anonymous_id, i.user_id
     FROM unnest($1::int8[], $2::text[]) AS a(site_id, anonymous_id)
     JOIN identities i ON i.site_id = a.site_id AND i.anonymous_id = a.anonymous_id`,
    [anonymous.map((entry) => entry.siteId), anonymous.map((entry) => entry.anonymousId)],
  );
  for (const row of rows) users.set(identityKey(row.site_id, row.anonymous_id), row.user_id);
  return users;
}

export function identityKey(siteId: string, anonymousId: string): string {
  return `${siteId} ${anonymousId}`;
}

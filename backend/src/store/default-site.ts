import { sql, type Kysely } from 'kysely';
import type { Scope } from '@justanalytics/collector';
import type { Database } from '../db/database.ts';
import { createApiKey } from './api-keys.ts';
import { createSite } from './sites.ts';

export interface DefaultSite {
  siteId: string;
  name: string;
  key: string;
  scopes: Scope[];
}

// Any constant works; it only has to be the same in every process.
const defaultSiteLock = 0x6a615f73697465n; // "ja_site"

/**
 * On an empty database, creates the `default` site and an ingest+read key so a
 * fresh install can receive data at once. Returns it (with the only copy of the
 * key) when it was created now, null when any site already existed. Several
 * processes starting together create it once.
 */
export async function ensureDefaultSite(db: Kysely<Database>): Promise<DefaultSite | null> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${defaultSiteLock.toString()}::bigint)`.execute(trx);
    const existing = await trx.selectFrom('sites').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    const scopes: Scope[] = ['ingest', 'read'];
    const site = await createSite(trx, { name: 'default', domain: null });
    const created = await createApiKey(trx, { siteId: site.id, scopes, name: 'default' });
    return { siteId: site.id, name: site.name, key: created.key, scopes };
  });
}

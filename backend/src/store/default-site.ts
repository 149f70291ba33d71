import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { createApiKey } from './api-keys.ts';
import { createSite } from './sites.ts';

export interface DefaultSite {
  siteId: string;
  name: string;
  /** Scope `ingest` only: for exporters and SDKs, whose configuration is easily seen; it cannot read anything. */
  ingestKey: string;
  /** Scope `read` only: for the query API. */
  readKey: string;
}

// Any constant works; it only has to be the same in every process.
const defaultSiteLock = 0x6a615f73697465n; // "ja_site"

/**
 * On an empty database, creates the `default` site with two keys, so a fresh
 * install can receive and show data at once: an ingest key and a read key,
 * apart, because a key pasted into an exporter config or a browser must not
 * be able to read the site's traces. Returns them (the only copy of the
 * secrets) when created now, null when any site already existed. Several
 * processes starting together create them once.
 */
export async function ensureDefaultSite(db: Kysely<Database>): Promise<DefaultSite | null> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${defaultSiteLock.toString()}::bigint)`.execute(trx);
    const existing = await trx.selectFrom('sites').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    const site = await createSite(trx, { name: 'default' });
    const ingest = await createApiKey(trx, { siteId: site.id, scopes: ['ingest'], name: 'default ingest' });
    const read = await createApiKey(trx, { siteId: site.id, scopes: ['read'], name: 'default read' });
    return { siteId: site.id, name: site.name, ingestKey: ingest.key, readKey: read.key };
  });
}

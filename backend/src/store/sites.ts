import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { isRowId } from './ids.ts';

/** A site: the tenant that every row and key belongs to. */
export interface Site {
  id: string; // bigint as a decimal string
  name: string;
  domain: string | null;
  createdAt: Date;
}

export interface NewSite {
  name: string;
  domain?: string | null;
}

export async function createSite(db: Kysely<Database>, site: NewSite): Promise<Site> {
  const name = site.name.trim();
  if (name === '') throw new RangeError('a site needs a name');
  const domain = site.domain?.trim() || null;
  const row = await db
    .insertInto('sites')
    .values({ name, domain })
    .returning(['id', 'name', 'domain', 'created_at'])
    .executeTakeFirstOrThrow();
  return toSite(row);
}

export async function listSites(db: Kysely<Database>): Promise<Site[]> {
  const rows = await db.selectFrom('sites').select(['id', 'name', 'domain', 'created_at']).orderBy('id').execute();
  return rows.map(toSite);
}

/** The site with this ID, or null (also for an ID that is not a valid row ID). */
export async function getSite(db: Kysely<Database>, id: string): Promise<Site | null> {
  if (!isRowId(id)) return null;
  const row = await db.selectFrom('sites').select(['id', 'name', 'domain', 'created_at']).where('id', '=', id).executeTakeFirst();
  return row ? toSite(row) : null;
}

function toSite(row: { id: string; name: string; domain: string | null; created_at: Date }): Site {
  return { id: row.id, name: row.name, domain: row.domain, createdAt: row.created_at };
}

import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { inTransaction } from './api-key-changes.ts';
import { isRowId } from './ids.ts';
import { checkAll, checkCountry, checkDomain, checkIpRule, checkName, checkTimezone } from './site-settings-validation.ts';

/** A site: the tenant that every row and key belongs to, with its analytics settings. */
export interface Site {
  id: string; // bigint as a decimal string
  name: string;
  /** Hostnames whose pages (and subdomains) may send browser events; empty allows any. */
  domains: string[];
  /** IANA time zone of its analytics. */
  timezone: string;
  excludedIps: string[];
  excludedCountries: string[];
  createdAt: Date;
}

export interface NewSite {
  name: string;
  domains?: readonly string[];
  timezone?: string;
}

/** Settings to change; those left out stay. Lists replace the stored list. */
export interface SiteUpdate {
  name?: string;
  domains?: readonly string[];
  timezone?: string;
  excludedIps?: readonly string[];
  excludedCountries?: readonly string[];
}

/**
 * The channel on which every change to sites is announced (payload: the
 * site's ID), so each process's site directory reloads at once.
 */
export const SITE_CHANGES_CHANNEL = 'justanalytics_sites';

const columns = ['id', 'name', 'domains', 'timezone', 'excluded_ips', 'excluded_countries', 'created_at'] as const;

/** Creates a site. Throws RangeError for an empty name, a bad domain or time zone. */
export async function createSite(db: Kysely<Database>, site: NewSite): Promise<Site> {
  const name = checkName(site.name);
  const domains = checkAll(site.domains ?? [], checkDomain);
  const timezone = checkTimezone(site.timezone ?? 'UTC');
  return inTransaction(db, async (trx) => {
    const row = await trx.insertInto('sites').values({ name, domains, timezone }).returning(columns).executeTakeFirstOrThrow();
    await sql`SELECT pg_notify(${SITE_CHANGES_CHANNEL}, ${row.id})`.execute(trx);
    return toSite(row);
  });
}

/**
 * Changes a site's settings, announcing the change at commit. Returns the
 * site as stored, or null when there is no such site. Throws RangeError
 * naming the first bad value; nothing is changed then.
 */
export async function updateSite(db: Kysely<Database>, id: string, update: SiteUpdate): Promise<Site | null> {
  const values: { name?: string; domains?: string[]; timezone?: string; excluded_ips?: string[]; excluded_countries?: string[] } = {};
  if (update.name !== undefined) values.name = checkName(update.name);
  if (update.domains !== undefined) values.domains = checkAll(update.domains, checkDomain);
  if (update.timezone !== undefined) values.timezone = checkTimezone(update.timezone);
  if (update.excludedIps !== undefined) values.excluded_ips = checkAll(update.excludedIps, checkIpRule);
  if (update.excludedCountries !== undefined) values.excluded_countries = checkAll(update.excludedCountries, checkCountry);
  if (!isRowId(id)) return null;
  if (Object.keys(values).length === 0) return getSite(db, id);
  return inTransaction(db, async (trx) => {
    const row = await trx.updateTable('sites').set(values).where('id', '=', id).returning(columns).executeTakeFirst();
    if (row === undefined) return null;
    await sql`SELECT pg_notify(${SITE_CHANGES_CHANNEL}, ${row.id})`.execute(trx);
    return toSite(row);
  });
}

export async function listSites(db: Kysely<Database>): Promise<Site[]> {
  const rows = await db.selectFrom('sites').select(columns).orderBy('id').execute();
  return rows.map(toSite);
}

/** The site with this ID, or null (also for an ID that is not a valid row ID). */
export async function getSite(db: Kysely<Database>, id: string): Promise<Site | null> {
  if (!isRowId(id)) return null;
  const row = await db.selectFrom('sites').select(columns).where('id', '=', id).executeTakeFirst();
  return row ? toSite(row) : null;
}

interface SiteRow {
  id: string;
  name: string;
  domains: string[];
  timezone: string;
  excluded_ips: string[];
  excluded_countries: string[];
  created_at: Date;
}

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    name: row.name,
    domains: row.domains,
    timezone: row.timezone,
    excludedIps: row.excluded_ips,
    excludedCountries: row.excluded_countries,
    createdAt: row.created_at,
  };
}

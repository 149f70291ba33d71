import type { SiteDirectory as SiteDirectoryContract, SiteSettings } from '@justanalytics/collector';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { isRowId } from './ids.ts';
import { ListenedSnapshot, type RunQuery } from './listened-snapshot.ts';
import { SITE_CHANGES_CHANNEL } from './sites.ts';

const MISS_RELOAD_MS = 1_000;

export interface SiteDirectoryOptions {
  /** The database's full connection string: start() LISTENs for site changes on a connection of its own. Required by start(). */
  connectionString?: string;
  logger?: Logger;
  /** How often every site is reloaded anyway (a change made by hand in SQL). Default 30 s. */
  reloadIntervalMs?: number;
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

/**
 * Every site's analytics settings, held in memory for the analytics
 * receivers: a lookup never waits on a query once the sites are loaded.
 * createSite and updateSite announce each change at commit (from any
 * process), and a started directory reloads on it, within a second; a
 * periodic reload is the safety net (the same machinery as the API keys).
 */
export class SiteDirectory implements SiteDirectoryContract {
  readonly #sites: ListenedSnapshot<Map<string, SiteSettings>>;
  #lastMissReload = Number.NEGATIVE_INFINITY;

  constructor(db: Kysely<Database>, options: SiteDirectoryOptions = {}) {
    this.#sites = new ListenedSnapshot(db, {
      what: 'sites',
      owner: 'site directory',
      channel: SITE_CHANGES_CHANNEL,
      applicationName: 'justanalytics-sites',
      load: (run) => fetchSites(db, run),
      sizeOf: (sites) => sites.size,
      sizeField: 'sites',
      ...options,
    });
  }

  /** Loads every site and starts listening for changes. Rejects (and stops) if either fails. */
  start(): Promise<void> {
    return this.#sites.start();
  }

  close(): Promise<void> {
    return this.#sites.close();
  }

  /** The site's settings, or null for an unknown site. Rejects only when the sites cannot be loaded at all. */
  async lookup(siteId: string): Promise<SiteSettings | null> {
    if (!isRowId(siteId)) return null;
    const known = (await this.#sites.get()).get(siteId);
    if (known !== undefined) return known;
    // A site made a moment ago may not be announced yet: reload, at most once a second,
    // so a flood of unknown IDs costs one query a second.
    const nowMs = performance.now();
    if (nowMs - this.#lastMissReload < MISS_RELOAD_MS) return null;
    this.#lastMissReload = nowMs;
    return (await this.#sites.refresh()).get(siteId) ?? null;
  }

  /** Full loads so far: for tests. */
  get loads(): number {
    return this.#sites.loads;
  }
}

async function fetchSites(db: Kysely<Database>, run: RunQuery): Promise<Map<string, SiteSettings>> {
  const rows = await run(db.selectFrom('sites').select(['id', 'domains', 'timezone', 'excluded_ips', 'excluded_countries']));
  const sites = new Map<string, SiteSettings>();
  for (const row of rows) {
    sites.set(
      row.id,
      Object.freeze({
        siteId: row.id,
        domains: Object.freeze([...row.domains]),
        timezone: row.timezone,
        excludedIps: Object.freeze([...row.excluded_ips]),
        excludedCountries: Object.freeze([...row.excluded_countries]),
      }),
    );
  }
  return sites;
}

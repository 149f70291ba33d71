/**
 * What the analytics receivers need to know of a site, as the backend keeps it
 * (sites table). Exclusions are configuration typed by the site's owner, not
 * visitor data.
 */
export interface SiteSettings {
  siteId: string;
  /** Hostnames whose pages (and their subdomains) may send events; empty allows any. */
  domains: readonly string[];
  /** IANA time zone the site's analytics are reported in. */
  timezone: string;
  /** Addresses and CIDRs whose events are dropped (as typed, e.g. '203.0.113.7', '2001:db8::/32'). */
  excludedIps: readonly string[];
  /** ISO 3166-1 alpha-2 codes whose events are dropped. */
  excludedCountries: readonly string[];
}

/**
 * The sites the receivers may accept browser events for, by public site ID
 * (the site's ID). The backend keeps every site in memory, current within a
 * second of a change (LISTEN/NOTIFY), so a lookup never waits on a query
 * unless the site is unknown. Rejects only when the sites cannot be loaded at
 * all (the receiver answers 503).
 */
export interface SiteDirectory {
  lookup(siteId: string): Promise<SiteSettings | null>;
}

/**
 * The daily salts of the visitor hash. `current` is the salt of the UTC day of
 * `nowMs`, `previous` the day before's while it is kept (48 hours after it
 * came into use), else null. Salts are random, made once per day by whichever
 * process needs one first, held in memory and in the database only.
 */
export interface Salts {
  current: Buffer;
  previous: Buffer | null;
}

export interface SaltSource {
  salts(nowMs: number): Promise<Salts>;
}

/** Where an IP address is, as far as an offline database knows; '' for what it does not know. */
export interface GeoLocation {
  country: string;
  region: string;
  city: string;
}

/** An offline IP database (or a test's table). Synchronous: it is in memory. */
export interface GeoLookup {
  lookup(ip: string): GeoLocation | null;
}

/** Why an event was not stored: counted per site and reason, and told to the sender. */
export const dropReasons = ['bot', 'dnt', 'gpc', 'prefetch', 'excluded_ip', 'excluded_country', 'referrer_spam'] as const;
export type DropReason = (typeof dropReasons)[number];

/** Counts dropped events per site, day and reason (the backend keeps the counts in analytics_drops). */
export interface DropCounter {
  count(siteId: string, reason: DropReason, nowMs: number): void;
}

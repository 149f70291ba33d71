import type { ColumnType, Generated } from 'kysely';

export interface SitesTable {
  id: Generated<string>; // bigint; pg returns int8 as a string
  name: string;
  /** Hostnames whose pages (and their subdomains) may send browser events; empty allows any. As the owner typed them. */
  domains: ColumnType<string[], string[] | undefined, string[]>;
  /** IANA time zone the site's analytics are reported in. */
  timezone: ColumnType<string, string | undefined, string>;
  /** Addresses and CIDRs whose events are dropped: configuration, not visitor data. */
  excluded_ips: ColumnType<string[], string[] | undefined, string[]>;
  /** ISO 3166-1 alpha-2 codes whose events are dropped. */
  excluded_countries: ColumnType<string[], string[] | undefined, string[]>;
  created_at: ColumnType<Date, never, never>;
}

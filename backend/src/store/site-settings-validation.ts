import { parseIpRule } from '@justanalytics/collector';

// Site settings as the owner types them, checked before they are stored:
// what is stored is exactly what was typed (trimmed), so a check failing here
// is the only way a setting is refused. Each function throws a RangeError
// naming the bad value, which the CLI and the API show as it is.

const zones = new Set(Intl.supportedValuesOf('timeZone'));

/** An IANA time zone name ('Europe/Berlin', 'UTC', 'Asia/Kolkata'). */
export function checkTimezone(value: string): string {
  const zone = value.trim();
  if (zone === 'UTC' || zones.has(zone)) return zone;
  // supportedValuesOf lists canonical names only; links ('US/Eastern') are valid too.
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new RangeError(`"${value}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  if (zone === '' || /^[+-]?\d/.test(zone)) throw new RangeError(`"${value}" is not an IANA time zone (e.g. Europe/Berlin)`);
  return zone;
}

/**
 * An IPv4 or IPv6 address, or a CIDR range of either ('203.0.113.7',
 * '2001:db8::/32'), by the collector's own parser, so whatever is stored is
 * a rule the receivers apply.
 */
export function checkIpRule(value: string): string {
  const rule = value.trim();
  if (parseIpRule(rule) !== null) return rule;
  throw new RangeError(`"${value}" is not an IP address or CIDR range (e.g. 203.0.113.7 or 2001:db8::/32)`);
}

/** An ISO 3166-1 alpha-2 country code, stored upper case. */
export function checkCountry(value: string): string {
  const code = value.trim().toUpperCase();
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  if (/^[A-Z]{2}$/.test(code) && names.of(code) !== undefined) return code;
  throw new RangeError(`"${value}" is not an ISO 3166-1 alpha-2 country code (e.g. DE)`);
}

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A hostname ('shop.example', 'localhost'), stored lower case, without scheme, port or path. */
export function checkDomain(value: string): string {
  const host = value.trim().toLowerCase().replace(/\.$/, '');
  if (host.length > 0 && host.length <= 253 && host.split('.').every((part) => label.test(part))) return host;
  throw new RangeError(`"${value}" is not a hostname (e.g. shop.example, without https:// or a path)`);
}

/** A site's name: not empty. */
export function checkName(value: string): string {
  const name = value.trim();
  if (name === '') throw new RangeError('a site needs a name');
  return name;
}

/** Each value checked, duplicates removed, in the order given. */
export function checkAll(values: readonly string[], check: (value: string) => string): string[] {
  return [...new Set(values.map(check))];
}

import { BlockList } from 'node:net';
import { normalizeIp } from './ip-address.ts';
import type { IpFamily } from './ip-address.ts';
import type { SiteSettings } from './site-settings.ts';

/** One excluded-IP rule as the site's owner typed it: an address, or a network in CIDR notation. */
export interface IpRule {
  address: string;
  family: IpFamily;
  /** Prefix length; 32 or 128 for a single address. */
  prefix: number;
}

/**
 * Reads one rule ('203.0.113.7', '198.51.100.0/24', '2001:db8::/32',
 * '::ffff:192.0.2.0/120'); null when it is not one. The backend validates
 * with this on save; the collector skips what still does not parse.
 * IPv4-mapped IPv6 rules become IPv4 rules (their prefix less 96).
 */
export function parseIpRule(text: string): IpRule | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const ip = normalizeIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
  if (ip === null) return null;
  const mapped = ip.family === 'ipv4' && trimmed.includes(':');
  const max = ip.family === 'ipv4' && !mapped ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const digits = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits)) return null;
    prefix = Number(digits);
    if (prefix > max) return null;
  }
  if (mapped) {
    if (prefix < 96) return null; // wider than the mapped range: not an IPv4 network
    prefix -= 96;
  }
  return { address: ip.address, family: ip.family, prefix };
}

const lists = new WeakMap<SiteSettings, BlockList>();

/**
 * Whether the client address is excluded by the site's rules. The rules are
 * built into a BlockList once per SiteSettings object (the directory hands
 * out a new object when a site changes, so the cache follows edits).
 */
export function isExcludedIp(site: SiteSettings, clientIp: string): boolean {
  if (site.excludedIps.length === 0) return false;
  const ip = normalizeIp(clientIp);
  if (ip === null) return false;
  let list = lists.get(site);
  if (list === undefined) {
    list = ipRuleList(site.excludedIps);
    lists.set(site, list);
  }
  return list.check(ip.address, ip.family);
}

/** The rules (addresses and CIDRs, as parseIpRule reads them) as one BlockList; rules that do not parse are skipped. */
export function ipRuleList(rules: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of rules) {
    const rule = parseIpRule(text);
    if (rule === null) continue;
    const full = rule.family === 'ipv4' ? 32 : 128;
    if (rule.prefix === full) list.addAddress(rule.address, rule.family);
    else list.addSubnet(rule.address, rule.prefix, rule.family);
  }
  return list;
}

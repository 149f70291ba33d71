import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

/** An address in the one spelling every enrich module compares: IPv4-mapped IPv6 as plain IPv4. */
export interface NormalizedIp {
  address: string;
  family: IpFamily;
}

const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
const mappedIpv4Hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/**
 * Reads an address as sockets and proxies write it: brackets and an IPv6 zone
 * (`fe80::1%eth0`) are dropped, and an IPv4-mapped IPv6 address (what a
 * dual-stack socket reports for an IPv4 client) becomes the IPv4 address, so
 * rules and databases keyed by IPv4 match it. Null for anything else.
 */
export function normalizeIp(text: string): NormalizedIp | null {
  let address = text.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (isIPv4(address)) return { address, family: 'ipv4' };
  if (!isIPv6(address)) return null;
  const dotted = mappedIpv4.exec(address);
  if (dotted?.[1] !== undefined && isIPv4(dotted[1])) return { address: dotted[1], family: 'ipv4' };
  const hex = mappedIpv4Hex.exec(address);
  if (hex?.[1] !== undefined && hex[2] !== undefined) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 'ipv4' };
  }
  return { address: address.toLowerCase(), family: 'ipv6' };
}

import type { BlockList } from 'node:net';
import { normalizeIp } from '../enrich/ip-address.ts';

/**
 * The client address named by an RFC 7239 `Forwarded` header, for proxies
 * that send it instead of X-Forwarded-For (which Fastify's trustProxy reads).
 * Like X-Forwarded-For, it is believed only hop by hop from the socket: the
 * walk goes from the nearest hop outwards while each address is a trusted
 * proxy and stops at the first that is not, so a client cannot name itself
 * by sending its own header through a proxy that appends. Null when the
 * socket is not trusted or the header names no address (`for=unknown`, an
 * obfuscated `_name`), and the socket's address is then the client's.
 */
export function forwardedClient(socketAddress: string, header: string, trusted: BlockList): string | null {
  if (!isTrusted(socketAddress, trusted)) return null;
  const hops = forwardedFor(header);
  let client: string | null = null;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (hop === null) return client;
    client = hop;
    if (!isTrusted(hop, trusted)) return hop;
  }
  return client;
}

/** The `for=` address of each element, in order; null where an element names none we can use. */
function forwardedFor(header: string): Array<string | null> {
  return header.split(',').map((element) => {
    for (const pair of element.split(';')) {
      const equals = pair.indexOf('=');
      if (equals < 0 || pair.slice(0, equals).trim().toLowerCase() !== 'for') continue;
      let value = pair.slice(equals + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      // [v6]:port, [v6], v4:port, v4
      const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
      if (bracketed) value = bracketed[1]!;
      else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.indexOf(':'));
      return normalizeIp(value)?.address ?? null;
    }
    return null;
  });
}

function isTrusted(address: string, trusted: BlockList): boolean {
  const ip = normalizeIp(address);
  return ip !== null && trusted.check(ip.address, ip.family);
}

import type { KeyValueJson } from '@justanalytics/collector/model';

// What a client or producer span called when no span of another service
// answers it: a database, cache, queue or external host that sends no spans
// of its own. The rules below are the one definition; peerOf reads them over a
// span's attributes, and the service map's SQL (service-map-edges.ts) is built
// from the same table, so both name a peer alike.

/** How a virtual node was named, before cache/database is told apart. */
export type PeerRuleType = 'database' | 'queue' | 'external';

export interface PeerRule {
  type: PeerRuleType;
  /** Attributes tried in order; the first with a non-empty string value names the peer. */
  keys: readonly string[];
  /** The value is a URL and the node is named by its host. */
  urlHost?: boolean;
  /** The value is a host name, so case does not matter: lowercased. */
  host?: boolean;
}

/** In order of precedence: the most specific description of the peer first (semantic conventions, old and new names). */
export const peerRules: readonly PeerRule[] = [
  { type: 'database', keys: ['db.system.name', 'db.system'] },
  { type: 'queue', keys: ['messaging.system'] },
  { type: 'external', keys: ['peer.service'] },
  { type: 'external', keys: ['server.address', 'net.peer.name', 'http.host'], host: true },
  { type: 'external', keys: ['url.full', 'http.url'], urlHost: true, host: true },
];

/** Every attribute the rules read, so the SQL extracts each span's few values in one pass over its attributes. */
export const peerAttributeKeys: readonly string[] = peerRules.flatMap((rule) => rule.keys);

/**
 * The host of an absolute URL (userinfo and port dropped; an IPv6 literal keeps
 * its brackets), as PostgreSQL's `substring(url from pattern)` and JavaScript
 * both read it, so the two stay in step. Hosts are case-insensitive: callers lowercase.
 */
export const URL_HOST_PATTERN = '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?(\\[[^\\]/?#]*\\]|[^:/?#]*)';
const urlHost = new RegExp(URL_HOST_PATTERN);

/** Database systems that are caches (db.system.name values, and older db.system ones). */
export const CACHE_SYSTEMS: readonly string[] = ['redis', 'memcached', 'valkey', 'hazelcast', 'coherence', 'geode', 'ehcache'];

export type VirtualNodeType = 'database' | 'cache' | 'queue' | 'external';

export interface Peer {
  name: string;
  type: VirtualNodeType;
}

/** The node type of a peer named by rule `type`: a database system that is a cache becomes `cache`. */
export function peerNodeType(type: PeerRuleType, name: string): VirtualNodeType {
  if (type === 'database' && CACHE_SYSTEMS.includes(name)) return 'cache';
  return type;
}

/**
 * The virtual node a client or producer span with these attributes calls, or
 * null when nothing names it. Only string values count; a URL names its host,
 * and hosts are lowercased (peer.service and systems are kept as given).
 */
export function peerOf(attributes: readonly KeyValueJson[]): Peer | null {
  const values = new Map<string, string>();
  for (const { key, value } of attributes) {
    if (!values.has(key) && 'stringValue' in value && typeof value.stringValue === 'string') values.set(key, value.stringValue);
  }
  return peerFromValues((key) => values.get(key) ?? null);
}

/** peerOf over values already looked up by key (null when absent), as the SQL returns them. */
export function peerFromValues(valueOf: (key: string) => string | null): Peer | null {
  for (const rule of peerRules) {
    for (const key of rule.keys) {
      const raw = valueOf(key);
      if (raw === null || raw === '') continue;
      const text = rule.urlHost === true ? (urlHost.exec(raw)?.[1] ?? '') : raw;
      const name = rule.host === true ? text.toLowerCase() : text;
      if (name === '') continue;
      return { name, type: peerNodeType(rule.type, name) };
    }
  }
  return null;
}

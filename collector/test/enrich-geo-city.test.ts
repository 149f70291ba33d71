// Covers reading city databases: a tiny MaxMind-format (MMDB) file written
// here by hand, once with ip-location-db's city records (country_code,
// state1, city) and once with GeoIP2/GeoLite2-shaped records (country.iso_code,
// subdivisions, city.names), read by openGeoLookup, with the shipped country
// database as the fallback for addresses the first file does not know.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { defaultGeoDatabasePath, openGeoLookup } from '../src/enrich/geo-lookup.ts';

type Value = string | number | Value[] | { [key: string]: Value };

/** MMDB data-section encoding of the few types the records use (spec: MaxMind DB File Format 2.0). */
function encode(value: Value): Buffer {
  const control = (type: number, size: number): Buffer => {
    if (size >= 29) throw new Error('test records stay small');
    return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
  };
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    const trimmed = bytes.subarray(bytes.findIndex((byte) => byte !== 0) === -1 ? 4 : bytes.findIndex((byte) => byte !== 0));
    return Buffer.concat([control(6, trimmed.length), trimmed]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([key, item]) => [encode(key), encode(item)])]);
}

/** An IPv4-only MMDB (record size 24) mapping each network to its record. */
function buildMmdb(networks: { address: string; prefix: number; record: Value }[]): Buffer {
  interface TrieNode { children: [TrieNode | number | null, TrieNode | number | null] }
  const root: TrieNode = { children: [null, null] };
  const data: Buffer[] = [];
  let dataLength = 0;
  for (const { address, prefix, record } of networks) {
    const bits = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
    let node = root;
    for (let depth = 0; depth < prefix; depth++) {
      const bit = Math.floor(bits / 2 ** (31 - depth)) % 2 as 0 | 1;
      if (depth === prefix - 1) {
        node.children[bit] = dataLength;
      } else {
        const next = node.children[bit];
        if (typeof next === 'object' && next !== null) node = next;
        else node = node.children[bit] = { children: [null, null] };
      }
    }
    const bytes = encode(record);
    data.push(bytes);
    dataLength += bytes.length;
  }
  const nodes: TrieNode[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const node = queue.shift() as TrieNode;
    nodes.push(node);
    for (const child of node.children) if (typeof child === 'object' && child !== null) queue.push(child);
  }
  const tree = Buffer.alloc(nodes.length * 6);
  nodes.forEach((node, index) => {
    node.children.forEach((child, side) => {
      const value = child === null ? nodes.length : typeof child === 'number' ? nodes.length + 16 + child : nodes.indexOf(child);
      tree.writeUIntBE(value, index * 6 + side * 3, 3);
    });
  });
  const metadata = encode({
    node_count: nodes.length, record_size: 24, ip_version: 4, database_type: 'test-city', languages: ['en'],
    binary_format_major_version: 2, binary_format_minor_version: 0, build_epoch: 1_764_460_800, description: { en: 'test' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('\xAB\xCD\xEFMaxMind.com', 'latin1'), metadata]);
}

t.test('city databases of both record shapes, the country database behind them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ja-geo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const ipLocationDb = join(dir, 'ip-location-db-city.mmdb');
  await writeFile(ipLocationDb, buildMmdb([
    { address: '192.0.2.0', prefix: 24, record: { country_code: 'DE', state1: 'Berlin', city: 'Berlin', postcode: '10115' } },
    { address: '198.51.100.0', prefix: 25, record: { country_code: 'FR' } },
  ]));
  const geoip2 = join(dir, 'geoip2-city.mmdb');
  await writeFile(geoip2, buildMmdb([
    { address: '203.0.113.0', prefix: 24, record: { country: { iso_code: 'US' }, subdivisions: [{ iso_code: 'CA', names: { en: 'California' } }], city: { names: { en: 'San Francisco', de: 'San Francisco' } } } },
    { address: '198.51.100.128', prefix: 25, record: { country: { iso_code: 'ES' }, subdivisions: [{ names: { en: 'Catalonia' } }] } },
  ]));

  const geo = await openGeoLookup([ipLocationDb, geoip2, defaultGeoDatabasePath()]);
  t.same(geo.lookup('192.0.2.55'), { country: 'DE', region: 'Berlin', city: 'Berlin' }, 'ip-location-db city record');
  t.same(geo.lookup('198.51.100.1'), { country: 'FR', region: '', city: '' }, 'a record without region or city');
  t.same(geo.lookup('203.0.113.9'), { country: 'US', region: 'US-CA', city: 'San Francisco' }, 'GeoIP2 record: ISO 3166-2 region');
  t.same(geo.lookup('198.51.100.200'), { country: 'ES', region: 'Catalonia', city: '' }, 'a subdivision without a code: its name');
  t.same(geo.lookup('::ffff:192.0.2.55')?.city, 'Berlin', 'IPv4-mapped');
  t.same(geo.lookup('8.8.8.8'), { country: 'US', region: '', city: '' }, 'unknown to the city files: the country database answers');
  t.equal(geo.lookup('10.0.0.1'), null);

  const alone = await openGeoLookup([ipLocationDb]);
  t.equal(alone.lookup('2001:db8::1'), null, 'an IPv6 address in an IPv4-only file is unknown, not an error');
  await t.rejects(openGeoLookup([join(dir, 'missing.mmdb')]), { code: 'ENOENT' }, 'a missing file fails at open');
});

// Covers excluded-IP rules (IPv4, IPv6, IPv4-mapped IPv6, invalid entries
// ignored, the per-settings cache following edits), address normalization,
// and the country lookup: the shipped DB-IP database on real public
// addresses, and the table lookup tests use.
import t from 'tap';
import { createTableGeoLookup, defaultGeoDatabasePath, openGeoLookup } from '../src/enrich/geo-lookup.ts';
import { normalizeIp } from '../src/enrich/ip-address.ts';
import { isExcludedIp, parseIpRule } from '../src/enrich/ip-rules.ts';
import type { SiteSettings } from '../src/enrich/site-settings.ts';

function site(excludedIps: string[]): SiteSettings {
  return { siteId: '1', domains: [], timezone: 'UTC', excludedIps, excludedCountries: [] };
}

t.test('addresses are normalized', async (t) => {
  t.same(normalizeIp('203.0.113.7'), { address: '203.0.113.7', family: 'ipv4' });
  t.same(normalizeIp('::ffff:203.0.113.7'), { address: '203.0.113.7', family: 'ipv4' }, 'IPv4-mapped');
  t.same(normalizeIp('::FFFF:cb00:7107'), { address: '203.0.113.7', family: 'ipv4' }, 'IPv4-mapped in hex');
  t.same(normalizeIp('[2001:DB8::1]'), { address: '2001:db8::1', family: 'ipv6' });
  t.same(normalizeIp('fe80::1%eth0'), { address: 'fe80::1', family: 'ipv6' });
  t.equal(normalizeIp('example.com'), null);
  t.equal(normalizeIp('300.1.1.1'), null);
});

t.test('rules parse like the backend validates them', async (t) => {
  t.same(parseIpRule(' 203.0.113.7 '), { address: '203.0.113.7', family: 'ipv4', prefix: 32 });
  t.same(parseIpRule('198.51.100.0/24'), { address: '198.51.100.0', family: 'ipv4', prefix: 24 });
  t.same(parseIpRule('2001:db8::/32'), { address: '2001:db8::', family: 'ipv6', prefix: 32 });
  t.same(parseIpRule('::ffff:192.0.2.0/120'), { address: '192.0.2.0', family: 'ipv4', prefix: 24 }, 'a mapped network is an IPv4 one');
  for (const bad of ['', 'localhost', '198.51.100.0/33', '2001:db8::/129', '1.2.3.4/', '1.2.3.4/x', '1.2.3', '::ffff:1.2.3.4/64', '1.2.3.4/-1']) {
    t.equal(parseIpRule(bad), null, `'${bad}' is not a rule`);
  }
});

t.test('excluded IPs: v4, v6, mapped, invalid entries skipped', async (t) => {
  const settings = site(['203.0.113.7', '198.51.100.0/24', '2001:db8:abcd::/48', 'not an ip', '10.0.0.0/99']);
  t.ok(isExcludedIp(settings, '203.0.113.7'));
  t.notOk(isExcludedIp(settings, '203.0.113.8'));
  t.ok(isExcludedIp(settings, '198.51.100.255'));
  t.notOk(isExcludedIp(settings, '198.51.101.0'));
  t.ok(isExcludedIp(settings, '::ffff:198.51.100.9'), 'an IPv4 client seen through a dual-stack socket');
  t.ok(isExcludedIp(settings, '2001:db8:abcd:12::1'));
  t.notOk(isExcludedIp(settings, '2001:db8:abce::1'));
  t.notOk(isExcludedIp(settings, '10.1.2.3'), 'the invalid /99 rule matched nothing');
  t.notOk(isExcludedIp(settings, 'garbage'), 'an unreadable client address is not excluded');
  t.ok(isExcludedIp(site(['::ffff:192.0.2.0/120']), '192.0.2.77'), 'a mapped rule matches the plain address');
  t.notOk(isExcludedIp(site([]), '203.0.113.7'));

  const edited = { ...settings, excludedIps: ['203.0.113.8'] };
  t.ok(isExcludedIp(edited, '203.0.113.8'), 'a new settings object is a new rule list');
  t.notOk(isExcludedIp(edited, '203.0.113.7'));
  t.ok(isExcludedIp(settings, '203.0.113.7'), 'the old object keeps its own rules');
});

t.test('the shipped country database on real public addresses', async (t) => {
  t.match(defaultGeoDatabasePath(), /dbip-country\.mmdb$/);
  const geo = await openGeoLookup();
  // Google's public DNS has been registered to the US for as long as there are databases.
  t.same(geo.lookup('8.8.8.8'), { country: 'US', region: '', city: '' });
  t.same(geo.lookup('::ffff:8.8.8.8'), { country: 'US', region: '', city: '' }, 'IPv4-mapped reads the IPv4 record');
  // RIPE NCC's own network in Amsterdam.
  t.equal(geo.lookup('193.0.6.139')?.country, 'NL');
  t.equal(geo.lookup('127.0.0.1'), null, 'loopback is nowhere');
  t.equal(geo.lookup('192.168.1.10'), null, 'private space is nowhere');
  t.equal(geo.lookup('not an ip'), null);
  const v6 = geo.lookup('2a00:1450:4001:80b::200e');
  t.match(v6?.country, /^[A-Z]{2}$/, 'IPv6 addresses have records too');
});

t.test('the table lookup tests use', async (t) => {
  const geo = createTableGeoLookup([
    { cidr: '192.0.2.0/24', country: 'DE', region: 'DE-BE', city: 'Berlin' },
    { cidr: '192.0.2.128/25', country: 'FR' },
    { cidr: '2001:db8::/32', country: 'JP', region: 'JP-13', city: 'Tokyo' },
  ]);
  t.same(geo.lookup('192.0.2.1'), { country: 'DE', region: 'DE-BE', city: 'Berlin' });
  t.same(geo.lookup('192.0.2.200'), { country: 'FR', region: '', city: '' }, 'the most specific entry wins');
  t.same(geo.lookup('::ffff:192.0.2.1')?.country, 'DE');
  t.same(geo.lookup('2001:db8::5')?.city, 'Tokyo');
  t.equal(geo.lookup('198.51.100.1'), null);
  t.throws(() => createTableGeoLookup([{ cidr: 'nope', country: 'XX' }]));
});

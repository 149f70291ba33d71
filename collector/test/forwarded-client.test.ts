// Covers forwarded-client.ts (RFC 7239 `Forwarded`, believed hop by hop from
// a trusted socket) and its use by /api/track: the visitor's address, and so
// its country and the site's IP exclusions, come from a trusted proxy's
// `Forwarded` header, never from one an untrusted client sends.
import t from 'tap';
import { ipRuleList } from '../src/enrich/ip-rules.ts';
import { forwardedClient } from '../src/receivers/forwarded-client.ts';
import { buildAnalyticsApp, CHROME_UA, EXCLUDING_SITE, TRACK_SITE } from './helpers/analytics-fixtures.ts';

const trusted = ipRuleList(['10.0.0.0/8', '2001:db8::1']);

t.test('the nearest untrusted hop is the client', async (t) => {
  t.equal(forwardedClient('10.0.0.5', 'for=198.51.100.7', trusted), '198.51.100.7');
  t.equal(forwardedClient('10.0.0.5', 'for=192.0.2.60;proto=http;by=203.0.113.43', trusted), '192.0.2.60', 'other pairs ignored');
  t.equal(forwardedClient('10.0.0.5', 'For="[2001:db8:cafe::17]:4711"', trusted), '2001:db8:cafe::17', 'quoted, bracketed, with a port, any case');
  t.equal(forwardedClient('10.0.0.5', 'for="198.51.100.7:8080"', trusted), '198.51.100.7', 'IPv4 with a port');
  t.equal(forwardedClient('10.0.0.5', 'for=203.0.113.9, for=198.51.100.7, for=10.1.2.3', trusted), '198.51.100.7', 'trusted hops skipped from the right');
  t.equal(forwardedClient('::ffff:10.0.0.5', 'for=198.51.100.7', trusted), '198.51.100.7', 'an IPv4-mapped socket address');
  t.equal(forwardedClient('2001:db8::1', 'for=198.51.100.7', trusted), '198.51.100.7', 'an IPv6 proxy');
});

t.test('nothing is believed from an untrusted socket or an unusable header', async (t) => {
  t.equal(forwardedClient('198.51.100.1', 'for=192.0.2.60', trusted), null, 'the socket is not a trusted proxy');
  t.equal(forwardedClient('10.0.0.5', 'for=unknown', trusted), null);
  t.equal(forwardedClient('10.0.0.5', 'for=_hidden', trusted), null, 'an obfuscated identifier');
  t.equal(forwardedClient('10.0.0.5', 'proto=https', trusted), null, 'no for=');
  t.equal(forwardedClient('10.0.0.5', 'for=198.51.100.7, for=unknown', trusted), null, 'the walk stops at a hop it cannot read');
  t.equal(forwardedClient('10.0.0.5', 'for=10.0.0.9', trusted), '10.0.0.9', 'every hop trusted: the farthest');
});

t.test('/api/track takes the address from a trusted proxy\'s Forwarded header', async (t) => {
  const { app, sink, drops } = await buildAnalyticsApp({ trustedProxies: ['10.0.0.0/8'] });
  t.teardown(() => app.close());
  const track = (site: string, origin: string, remoteAddress: string, forwarded: string) =>
    app.inject({
      method: 'POST',
      url: '/api/track',
      remoteAddress,
      headers: { 'content-type': 'text/plain', origin, 'user-agent': CHROME_UA, forwarded },
      payload: JSON.stringify({ site, url: `${origin}/` }),
    });
  // The fixtures' geo lookup: 198.51.100.7 is French, 192.0.2.1 German.
  const viaProxy = await track(TRACK_SITE, 'https://example.com', '10.0.0.5', 'for=198.51.100.7');
  t.equal(viaProxy.statusCode, 202);
  const spoofed = await track(TRACK_SITE, 'https://example.com', '192.0.2.1', 'for=198.51.100.7');
  t.equal(spoofed.statusCode, 202);
  t.strictSame(
    sink.batches.flatMap((batch) => (batch.signal === 'events' ? batch.rows.map((row) => row.country) : [])),
    ['FR', 'DE'],
    'the proxy is believed, a client naming another address is not',
  );
  // The excluding site drops 203.0.113.0/24: named by the proxy, the visitor is dropped.
  const excluded = await track(EXCLUDING_SITE, 'https://example.org', '10.0.0.5', 'for="203.0.113.50:1234"');
  t.equal(excluded.headers['x-justanalytics-dropped'], 'excluded_ip');
  t.strictSame(drops.counted, [[EXCLUDING_SITE, 'excluded_ip']]);
});

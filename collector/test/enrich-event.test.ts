// Covers the enrich orchestration: every drop reason and their order, the
// row built from a real request (UA + hints, geo, acquisition, visitor IDs
// under both salts), the client clock believed only within bounds, engagement
// fields, server events, and that no form of the client IP is in a row.
import t from 'tap';
import { enrichBrowserEvent, enrichServerEvent } from '../src/enrich/enrich-event.ts';
import type { BrowserEventInput, Enriched, RequestFacts } from '../src/enrich/enrich-event.ts';
import { createTableGeoLookup } from '../src/enrich/geo-lookup.ts';
import { InvalidPageUrlError } from '../src/enrich/page-url.ts';
import type { Salts, SiteSettings } from '../src/enrich/site-settings.ts';
import { browserVisitorId, serverVisitorId } from '../src/enrich/visitor-id.ts';
import type { EventRow } from '../src/signals/events/event-row.ts';

const now = Date.UTC(2026, 10, 30, 12, 0, 0);
const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const salts: Salts = { current: Buffer.alloc(32, 7), previous: Buffer.alloc(32, 6) };
const geo = createTableGeoLookup([
  { cidr: '203.0.113.0/24', country: 'DE', region: 'DE-BE', city: 'Berlin' },
  { cidr: '198.51.100.0/24', country: 'FR' },
]);
const site: SiteSettings = { siteId: '42', domains: ['example.com'], timezone: 'Europe/Berlin', excludedIps: ['192.0.2.0/24'], excludedCountries: ['fr'] };

function event(overrides: Partial<BrowserEventInput> = {}): BrowserEventInput {
  return {
    name: 'pageview',
    url: 'https://www.example.com/pricing/?plan=pro&utm_source=Newsletter&utm_medium=email&utm_campaign=launch&fbclid=XYZ',
    referrer: 'https://news.ycombinator.com/item?id=1',
    screen: { w: 1920, h: 1080 },
    title: 'Pricing',
    props: { plan: 'pro' },
    tsMs: null,
    engagementMs: null,
    scrollDepth: null,
    ...overrides,
  };
}

function request(headers: Record<string, string> = {}, overrides: Partial<RequestFacts> = {}): RequestFacts {
  return { clientIp: '203.0.113.7', userAgent: chrome, header: (name) => headers[name], nowMs: now, ...overrides };
}

function rowOf(result: Enriched): EventRow {
  if (!('row' in result)) throw new Error(`dropped: ${result.drop}`);
  return result.row;
}

t.test('a pageview becomes a row', async (t) => {
  const hints = { 'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"', 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"19.0.0"', 'sec-ch-ua-mobile': '?0' };
  const row = rowOf(enrichBrowserEvent(event(), request(hints), site, { salts, geo }));
  t.equal(row.eventId.length, 16);
  t.equal(row.timeUnixNano, BigInt(now) * 1_000_000n, 'no ts: receive time');
  t.equal(row.visitorId, browserVisitorId(salts.current, '42', '203.0.113.7', chrome, { w: 1920, h: 1080 }));
  t.equal(row.previousVisitorId, browserVisitorId(salts.previous ?? Buffer.alloc(0), '42', '203.0.113.7', chrome, { w: 1920, h: 1080 }));
  t.same(
    {
      hostname: row.hostname, pathname: row.pathname, query: row.query, title: row.title, referrer: row.referrer,
      referrerSource: row.referrerSource, channel: row.channel, utm: [row.utmSource, row.utmMedium, row.utmCampaign, row.utmTerm, row.utmContent],
      clickId: row.clickId, geo: [row.country, row.region, row.city], agent: [row.browser, row.browserVersion, row.os, row.osVersion, row.device],
      screen: [row.screenWidth, row.screenHeight], engagement: [row.engagementMs, row.scrollDepth], props: row.props, origin: row.origin,
      ids: [row.userId, row.anonymousId],
    },
    {
      hostname: 'www.example.com', pathname: '/pricing/', query: 'plan=pro', title: 'Pricing', referrer: 'https://news.ycombinator.com/item',
      referrerSource: 'Newsletter', channel: 'Email', utm: ['Newsletter', 'email', 'launch', '', ''],
      clickId: 'fbclid', geo: ['DE', 'DE-BE', 'Berlin'], agent: ['Chrome', '131.0', 'Windows', '11', 'desktop'],
      screen: [1920, 1080], engagement: [null, null], props: { plan: 'pro' }, origin: 'browser',
      ids: [null, null],
    },
  );
  const again = rowOf(enrichBrowserEvent(event(), request(hints), site, { salts, geo }));
  t.not(again.eventId.toString('hex'), row.eventId.toString('hex'), 'a new random event ID each time');
  t.equal(again.visitorId, row.visitorId, 'the same visitor');
});

t.test('without a previous salt or a geo database', async (t) => {
  const row = rowOf(enrichBrowserEvent(event(), request(), site, { salts: { current: salts.current, previous: null }, geo: null }));
  t.equal(row.previousVisitorId, null);
  t.same([row.country, row.region, row.city], ['', '', '']);
});

t.test('an IPv4-mapped client address is the same visitor as the plain one', async (t) => {
  const plain = rowOf(enrichBrowserEvent(event(), request(), site, { salts, geo }));
  const mapped = rowOf(enrichBrowserEvent(event(), request({}, { clientIp: '::ffff:203.0.113.7' }), site, { salts, geo }));
  t.equal(mapped.visitorId, plain.visitorId);
  t.equal(mapped.country, 'DE');
});

t.test('every drop reason, in order', async (t) => {
  const everything = { 'sec-purpose': 'prefetch', dnt: '1', 'sec-gpc': '1' };
  const spam = event({ referrer: 'http://semalt.com/' });
  const drop = (input: BrowserEventInput, facts: RequestFacts): string => {
    const result = enrichBrowserEvent(input, facts, site, { salts, geo });
    return 'drop' in result ? result.drop : 'kept';
  };
  t.equal(drop(spam, request(everything, { userAgent: '', clientIp: '192.0.2.1' })), 'prefetch');
  t.equal(drop(spam, request({ dnt: '1', 'sec-gpc': '1' }, { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', clientIp: '192.0.2.1' })), 'bot');
  t.equal(drop(spam, request({ dnt: '1', 'sec-gpc': '1' }, { clientIp: '192.0.2.1' })), 'dnt');
  t.equal(drop(spam, request({ 'sec-gpc': '1' }, { clientIp: '192.0.2.1' })), 'gpc');
  t.equal(drop(spam, request({}, { clientIp: '::ffff:192.0.2.1' })), 'excluded_ip');
  t.equal(drop(spam, request({}, { clientIp: '198.51.100.3' })), 'excluded_country', 'FR excluded as "fr"');
  t.equal(drop(spam, request()), 'referrer_spam');
  t.equal(drop(event(), request()), 'kept');
  t.equal(drop(event(), request({}, { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36' })), 'bot');
});

t.test('a non-http page URL is a typed error, not a drop', async (t) => {
  t.throws(() => enrichBrowserEvent(event({ url: 'javascript:alert(1)' }), request(), site, { salts, geo }), InvalidPageUrlError);
});

t.test('the client clock is believed within an hour back and a minute ahead', async (t) => {
  const at = (tsMs: number | null): bigint => rowOf(enrichBrowserEvent(event({ tsMs }), request(), site, { salts, geo })).timeUnixNano;
  t.equal(at(now - 3_600_000), BigInt(now - 3_600_000) * 1_000_000n, 'an hour late');
  t.equal(at(now - 3_600_001), BigInt(now) * 1_000_000n, 'more than an hour late: receive time');
  t.equal(at(now + 60_000), BigInt(now + 60_000) * 1_000_000n, 'a minute ahead');
  t.equal(at(now + 60_001), BigInt(now) * 1_000_000n, 'further ahead: receive time');
  t.equal(at(now - 1500.4), BigInt(now - 1500) * 1_000_000n, 'whole milliseconds');
  t.equal(at(Number.NaN), BigInt(now) * 1_000_000n);
});

t.test('engagement fields belong to engagement events', async (t) => {
  const engagement = rowOf(enrichBrowserEvent(event({ name: 'engagement', engagementMs: 12_345.6, scrollDepth: 140 }), request(), site, { salts, geo }));
  t.same([engagement.name, engagement.engagementMs, engagement.scrollDepth], ['engagement', 12_346, 100]);
  const custom = rowOf(enrichBrowserEvent(event({ name: 'signup', engagementMs: 5000, scrollDepth: 50 }), request(), site, { salts, geo }));
  t.same([custom.name, custom.engagementMs, custom.scrollDepth], ['signup', null, null]);
});

t.test('no form of the client IP is in a row', async (t) => {
  const ips = ['203.0.113.7', '::ffff:203.0.113.7', '2001:db8:1234::abcd'];
  for (const clientIp of ips) {
    const row = rowOf(enrichBrowserEvent(event(), request({}, { clientIp }), site, { salts, geo }));
    // Buffers serialize as their bytes in hex, so the packed address (cb007107, 20010db81234…) is searched too.
    const text = JSON.stringify(row, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'object' && value !== null && 'type' in value && value.type === 'Buffer' && 'data' in value && Array.isArray(value.data)) {
        return Buffer.from(value.data as number[]).toString('hex');
      }
      return value;
    });
    t.match(text, /"eventId":"[0-9a-f]{32}"/, 'the event ID is in the serialized row as hex');
    for (const form of [clientIp, '203.0.113.7', '2001:db8:1234::abcd', 'cb007107', '20010db81234']) {
      t.notOk(text.toLowerCase().includes(form), `${form} not in the row of ${clientIp}`);
    }
    t.notOk(Object.keys(row).some((key) => /ip|agent/i.test(key)), 'no IP or user-agent field');
  }
});

t.test('server events', async (t) => {
  const row = enrichServerEvent({ name: 'purchase', url: 'https://app.example.com/checkout?utm_source=google&utm_medium=cpc&order=9', tsMs: now - 86_400_000, props: { amount: 12 }, userId: 'u-1', anonymousId: 'a-1' }, '42', now);
  t.equal(row.visitorId, serverVisitorId('42', { userId: 'u-1' }), 'the user ID wins over the anonymous one');
  t.equal(row.timeUnixNano, BigInt(now - 86_400_000) * 1_000_000n, 'old times are believed');
  t.same([row.userId, row.anonymousId, row.origin, row.previousVisitorId], ['u-1', 'a-1', 'server', null]);
  t.same([row.hostname, row.pathname, row.query, row.utmSource, row.referrerSource, row.channel], ['app.example.com', '/checkout', 'order=9', 'google', 'Google', 'Paid Search']);
  t.same([row.browser, row.device, row.country, row.referrer], ['', '', '', '']);

  const anonymous = enrichServerEvent({ name: 'open', url: null, tsMs: now + 300_001, props: {}, userId: null, anonymousId: 'a-1' }, '42', now);
  t.equal(anonymous.visitorId, serverVisitorId('42', { anonymousId: 'a-1' }));
  t.equal(anonymous.timeUnixNano, BigInt(now) * 1_000_000n, 'more than 5 minutes ahead: receive time');
  t.same([anonymous.hostname, anonymous.pathname, anonymous.channel], ['', '', 'Direct']);
  t.equal(enrichServerEvent({ name: 'x', url: null, tsMs: now + 300_000, props: {}, userId: 'u', anonymousId: null }, '42', now).timeUnixNano, BigInt(now + 300_000) * 1_000_000n);
  t.throws(() => enrichServerEvent({ name: 'x', url: 'ftp://x.test/', tsMs: null, props: {}, userId: 'u', anonymousId: null }, '42', now), InvalidPageUrlError);
  t.throws(() => enrichServerEvent({ name: 'x', url: null, tsMs: null, props: {}, userId: null, anonymousId: null }, '42', now));
});

// Covers page URL parsing: http(s) only (a typed error otherwise), the host
// lower-cased, the path decoded where safe, tracking parameters (utm_*, click
// IDs) stripped from the stored query, the UTM values and which click ID.
import t from 'tap';
import { InvalidPageUrlError, parsePageUrl } from '../src/enrich/page-url.ts';

t.test('host, path and query as stored', async (t) => {
  const page = parsePageUrl('https://WWW.Example.COM/Docs/caf%C3%A9/?b=2&utm_source=Newsletter&a=%20x&gclid=Cj0KCQ&utm_medium=email#top');
  t.equal(page.hostname, 'www.example.com', 'lower-cased, www. kept');
  t.equal(page.pathname, '/Docs/café/', 'decoded, trailing slash kept');
  t.equal(page.query, 'b=2&a=%20x', 'tracking parameters removed, the rest kept as sent and in order');
  t.same(page.utm, { source: 'Newsletter', medium: 'email', campaign: '', term: '', content: '' });
  t.equal(page.clickId, 'gclid');
  t.equal(page.ref, '');
});

t.test('every click ID and tracking parameter is stripped', async (t) => {
  const params = ['gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid', 'yclid', 'mc_eid', '_gl', 'utm_id', 'UTM_Source', 'gad_source', 'srsltid'];
  const page = parsePageUrl(`https://example.com/p?keep=1&${params.map((name) => `${name}=v`).join('&')}&last=2`);
  t.equal(page.query, 'keep=1&last=2');
  t.equal(page.utm.source, 'v', 'UTM keys are case-insensitive');
  t.equal(page.clickId, 'gclid', 'the highest-priority click ID is named');
  t.equal(parsePageUrl('https://example.com/?fbclid=IwAR0abc').clickId, 'fbclid');
  t.equal(parsePageUrl('https://example.com/?mc_eid=123&x=1').clickId, 'mc_eid');
  t.equal(parsePageUrl('https://example.com/?_gl=1*abc').clickId, '', 'the Google linker is stripped but is no click ID');
});

t.test('the five UTM parameters, decoded', async (t) => {
  const page = parsePageUrl('http://example.com/?utm_source=google&utm_medium=cpc&utm_campaign=Spring+Sale&utm_term=running%20shoes&utm_content=ad-1&utm_source=second');
  t.same(page.utm, { source: 'google', medium: 'cpc', campaign: 'Spring Sale', term: 'running shoes', content: 'ad-1' }, 'first value wins');
  t.equal(page.query, '');
});

t.test('ref and source are hints kept in the query', async (t) => {
  const page = parsePageUrl('https://example.com/?ref=producthunt&x=1');
  t.equal(page.ref, 'producthunt');
  t.equal(page.query, 'ref=producthunt&x=1');
  t.equal(parsePageUrl('https://example.com/?source=hn').ref, 'hn');
  t.equal(parsePageUrl('https://example.com/?source=hn&ref=lobsters').ref, 'lobsters', 'ref before source');
});

t.test('paths that do not decode stay as sent', async (t) => {
  t.equal(parsePageUrl('https://example.com/a%2Fb/%E2%82%AC').pathname, '/a%2Fb/€', 'an encoded slash stays encoded');
  t.equal(parsePageUrl('https://example.com/bad%E2%82').pathname, '/bad%E2%82', 'invalid UTF-8 kept');
  t.equal(parsePageUrl('https://example.com/100%').pathname, '/100%', 'a lone % kept');
  t.equal(parsePageUrl('https://example.com').pathname, '/');
  t.equal(parsePageUrl('https://example.com/page?').query, '');
  t.equal(parsePageUrl('https://example.com/?a=%E2%82&utm_medium=x').query, 'a=%E2%82', 'a malformed value is kept as sent');
});

t.test('only absolute http(s) URLs', async (t) => {
  for (const url of ['javascript:alert(1)', 'file:///etc/passwd', 'ftp://example.com/', '/relative/path', '', 'data:text/html,hi', 'https://']) {
    t.throws(() => parsePageUrl(url), InvalidPageUrlError, url);
  }
  try {
    parsePageUrl('chrome-extension://abc/page.html');
    t.fail('should throw');
  } catch (error) {
    t.ok(error instanceof InvalidPageUrlError);
    t.equal((error as InvalidPageUrlError).code, 'invalid_url');
  }
});

// Covers the request signals read by the privacy pipeline: prefetch and
// prerender headers, DNT and Sec-GPC, and the origin check of browser events.
import t from 'tap';
import { originAllowed } from '../src/enrich/origin-check.ts';
import { doNotTrack, globalPrivacyControl, isPrefetch } from '../src/enrich/privacy-signals.ts';

function headers(map: Record<string, string>): (name: string) => string | undefined {
  return (name) => map[name];
}

t.test('prefetch and prerender', async (t) => {
  t.ok(isPrefetch(headers({ 'sec-purpose': 'prefetch' })));
  t.ok(isPrefetch(headers({ 'sec-purpose': 'prefetch;prerender' })));
  t.ok(isPrefetch(headers({ 'sec-purpose': 'prefetch;anonymous-client-ip' })));
  t.ok(isPrefetch(headers({ purpose: 'prefetch' })));
  t.ok(isPrefetch(headers({ purpose: 'Preview' })));
  t.ok(isPrefetch(headers({ 'x-moz': 'prefetch' })));
  t.ok(isPrefetch(headers({ 'x-purpose': 'preview' })));
  t.notOk(isPrefetch(headers({})));
  t.notOk(isPrefetch(headers({ 'sec-purpose': '', purpose: 'navigate' })));
});

t.test('DNT and GPC', async (t) => {
  t.ok(doNotTrack(headers({ dnt: '1' })));
  t.ok(doNotTrack(headers({ dnt: ' 1 ' })));
  t.notOk(doNotTrack(headers({ dnt: '0' })));
  t.notOk(doNotTrack(headers({})));
  t.ok(globalPrivacyControl(headers({ 'sec-gpc': '1' })));
  t.notOk(globalPrivacyControl(headers({ 'sec-gpc': '0' })));
  t.notOk(globalPrivacyControl(headers({ dnt: '1' })), 'DNT is not GPC');
});

t.test('origin check', async (t) => {
  const domains = ['example.com', 'Shop.Test'];
  t.ok(originAllowed('https://example.com', 'example.com', domains));
  t.ok(originAllowed('https://www.example.com', 'www.example.com', domains), 'a subdomain');
  t.ok(originAllowed('http://a.b.example.com:8080', 'x.test', domains), 'the Origin decides when sent, port ignored');
  t.ok(originAllowed('https://shop.test', 'shop.test', domains), 'domains compare case-insensitively');
  t.notOk(originAllowed('https://evil.test', 'example.com', domains), 'a foreign origin, whatever the page URL says');
  t.notOk(originAllowed('https://notexample.com', 'notexample.com', domains), 'a suffix that is not a subdomain');
  t.notOk(originAllowed('https://example.com.evil.test', 'example.com', domains));
  t.notOk(originAllowed('null', 'example.com', domains), 'an opaque origin');
  t.ok(originAllowed(undefined, 'blog.example.com', domains), 'without an Origin the page host decides');
  t.notOk(originAllowed(undefined, 'evil.test', domains));
  t.ok(originAllowed('https://anything.test', 'anything.test', []), 'no domains: any origin');
  t.ok(originAllowed('null', 'anything.test', []));
});

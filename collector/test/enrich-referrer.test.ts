// Covers referrer → referrer, source and channel (table-driven, GA4-like
// grouping from utm_*, click IDs and the referring site's kind), same-site
// referrers, and the referrer spam list.
import t from 'tap';
import { parsePageUrl } from '../src/enrich/page-url.ts';
import { classifyAcquisition, knownSourceOfHost } from '../src/enrich/referrer-source.ts';
import type { Acquisition } from '../src/enrich/referrer-source.ts';
import { isReferrerSpam } from '../src/enrich/referrer-spam.ts';

function classify(referrer: string, pageUrl = 'https://www.example.com/landing', siteDomains: string[] = ['example.com']): Acquisition {
  const page = parsePageUrl(pageUrl);
  return classifyAcquisition({ referrer, pageHostname: page.hostname, siteDomains, utm: page.utm, clickId: page.clickId, ref: page.ref });
}

const page = 'https://www.example.com/landing';

t.test('referrers to source and channel', async (t) => {
  const table: [string, string, string, string, string][] = [
    // referrer, page URL, stored referrer, source, channel
    ['', page, '', '', 'Direct'],
    ['https://www.google.com/', page, 'https://www.google.com/', 'Google', 'Organic Search'],
    ['https://www.google.co.uk/search?q=secret', page, 'https://www.google.co.uk/search', 'Google', 'Organic Search'],
    ['https://www.google.com.au/', page, 'https://www.google.com.au/', 'Google', 'Organic Search'],
    ['https://www.bing.com/search?q=x', page, 'https://www.bing.com/search', 'Bing', 'Organic Search'],
    ['https://duckduckgo.com/', page, 'https://duckduckgo.com/', 'DuckDuckGo', 'Organic Search'],
    ['https://search.yahoo.com/search?p=x', page, 'https://search.yahoo.com/search', 'Yahoo!', 'Organic Search'],
    ['https://yandex.ru/search/?text=x', page, 'https://yandex.ru/search/', 'Yandex', 'Organic Search'],
    ['https://www.baidu.com/link?url=x', page, 'https://www.baidu.com/link', 'Baidu', 'Organic Search'],
    ['https://www.ecosia.org/', page, 'https://www.ecosia.org/', 'Ecosia', 'Organic Search'],
    ['https://search.brave.com/', page, 'https://search.brave.com/', 'Brave', 'Organic Search'],
    ['https://l.facebook.com/l.php?u=x', page, 'https://l.facebook.com/l.php', 'Facebook', 'Organic Social'],
    ['https://www.instagram.com/', page, 'https://www.instagram.com/', 'Instagram', 'Organic Social'],
    ['https://t.co/abc123', page, 'https://t.co/abc123', 'Twitter', 'Organic Social'],
    ['https://x.com/', page, 'https://x.com/', 'Twitter', 'Organic Social'],
    ['https://lnkd.in/xyz', page, 'https://lnkd.in/xyz', 'LinkedIn', 'Organic Social'],
    ['https://www.reddit.com/r/node/', page, 'https://www.reddit.com/r/node/', 'Reddit', 'Organic Social'],
    ['https://news.ycombinator.com/item?id=1', page, 'https://news.ycombinator.com/item', 'Hacker News', 'Organic Social'],
    ['https://www.pinterest.co.uk/', page, 'https://www.pinterest.co.uk/', 'Pinterest', 'Organic Social'],
    ['https://www.tiktok.com/', page, 'https://www.tiktok.com/', 'TikTok', 'Organic Social'],
    ['https://www.youtube.com/watch?v=x', page, 'https://www.youtube.com/watch', 'YouTube', 'Organic Video'],
    ['https://mail.google.com/', page, 'https://mail.google.com/', 'Gmail', 'Email'],
    ['https://outlook.live.com/mail/0/', page, 'https://outlook.live.com/mail/0/', 'Outlook', 'Email'],
    ['android-app://com.google.android.gm/', page, 'android-app://com.google.android.gm/', 'Gmail', 'Email'],
    ['https://github.com/acme/repo', page, 'https://github.com/acme/repo', 'GitHub', 'Referral'],
    ['https://www.someblog.net/post?id=3#c', page, 'https://www.someblog.net/post', 'someblog.net', 'Referral'],
    ['https://google.blogspot.com/', page, 'https://google.blogspot.com/', 'google.blogspot.com', 'Referral'],
    // Campaign parameters and click IDs.
    ['https://www.google.com/', `${page}?gclid=abc`, 'https://www.google.com/', 'Google', 'Paid Search'],
    ['', `${page}?gclid=abc`, '', 'Google', 'Paid Search'],
    ['https://www.bing.com/', `${page}?msclkid=abc`, 'https://www.bing.com/', 'Bing', 'Paid Search'],
    ['', `${page}?utm_source=google&utm_medium=cpc`, '', 'Google', 'Paid Search'],
    ['https://m.facebook.com/', `${page}?fbclid=abc`, 'https://m.facebook.com/', 'Facebook', 'Organic Social'],
    ['https://m.facebook.com/', `${page}?fbclid=abc&utm_source=facebook&utm_medium=paid_social`, 'https://m.facebook.com/', 'Facebook', 'Paid Social'],
    ['', `${page}?utm_source=fb&utm_medium=cpc`, '', 'Facebook', 'Paid Social'],
    ['', `${page}?ttclid=abc`, '', 'TikTok', 'Paid Social'],
    ['', `${page}?utm_source=youtube&utm_medium=cpv`, '', 'YouTube', 'Paid Video'],
    ['', `${page}?utm_source=network&utm_medium=banner`, '', 'network', 'Display'],
    ['', `${page}?dclid=abc`, '', 'Google', 'Display'],
    ['', `${page}?utm_source=partner&utm_medium=ppc`, '', 'partner', 'Paid Other'],
    ['', `${page}?utm_source=newsletter&utm_medium=email`, '', 'newsletter', 'Email'],
    ['', `${page}?utm_source=Weekly+Newsletter`, '', 'Weekly Newsletter', 'Email'],
    ['', `${page}?mc_eid=abc`, '', '', 'Email'],
    ['', `${page}?fbclid=abc&utm_source=newsletter&utm_medium=email`, '', 'newsletter', 'Email'],
    ['', `${page}?fbclid=abc`, '', 'Facebook', 'Organic Social'],
    ['', `${page}?utm_source=blog&utm_medium=affiliate`, '', 'blog', 'Affiliates'],
    ['', `${page}?utm_source=sms`, '', 'sms', 'SMS'],
    ['', `${page}?utm_source=app&utm_medium=push`, '', 'app', 'Mobile Push Notifications'],
    ['', `${page}?utm_campaign=spring-cross-network&utm_source=google&utm_medium=cpc`, '', 'Google', 'Cross-network'],
    ['', `${page}?utm_source=google&utm_medium=cpc&utm_campaign=shopping-q4`, '', 'Google', 'Paid Shopping'],
    ['https://www.amazon.de/', page, 'https://www.amazon.de/', 'Amazon', 'Organic Shopping'],
    ['', `${page}?utm_source=mastodon&utm_medium=social`, '', 'Mastodon', 'Organic Social'],
    ['', `${page}?utm_source=forum&utm_medium=social`, '', 'forum', 'Organic Social'],
    ['', `${page}?ref=producthunt`, '', 'producthunt', 'Referral'],
    ['https://www.google.com/', `${page}?ref=hn`, 'https://www.google.com/', 'Hacker News', 'Organic Social'],
    ['https://news.ycombinator.com/', `${page}?utm_source=newsletter`, 'https://news.ycombinator.com/', 'newsletter', 'Email'],
  ];
  for (const [referrer, pageUrl, stored, source, channel] of table) {
    t.same(classify(referrer, pageUrl), { referrer: stored, referrerSource: source, channel }, `${referrer || '(none)'} → ${pageUrl.slice(page.length) || page}`);
  }
});

t.test('same-site referrers are not sources', async (t) => {
  const direct = { referrer: '', referrerSource: '', channel: 'Direct' };
  t.same(classify('https://www.example.com/previous'), direct, 'the same host');
  t.same(classify('https://example.com/'), direct, 'the bare domain of a www. page');
  t.same(classify('https://docs.example.com/'), direct, 'a subdomain of a site domain');
  t.same(classify('https://blog.shop.test/', 'https://shop.test/', []), direct, 'a subdomain of the page host when the site lists no domains');
  t.same(classify('https://WWW.EXAMPLE.COM./x'), direct, 'case and a trailing dot do not matter');
  t.same(classify('https://other.test/', 'https://www.example.com/', ['example.com', 'other.test']), direct, 'another domain of the same site');
  t.same(classify('https://notexample.com/'), { referrer: 'https://notexample.com/', referrerSource: 'notexample.com', channel: 'Referral' }, 'a suffix that is not a subdomain');
});

t.test('referrers that are not URLs are ignored', async (t) => {
  const direct = { referrer: '', referrerSource: '', channel: 'Direct' };
  t.same(classify('not a url'), direct);
  t.same(classify('javascript:void(0)'), direct);
  t.same(classify('file:///tmp/x.html'), direct);
});

t.test('source lookup by host', async (t) => {
  t.equal(knownSourceOfHost('www.google.de')?.name, 'Google');
  t.equal(knownSourceOfHost('mail.google.com')?.name, 'Gmail', 'the longest known suffix wins over google.*');
  t.equal(knownSourceOfHost('mail.yahoo.com')?.name, 'Yahoo! Mail');
  t.equal(knownSourceOfHost('uk.search.yahoo.com')?.name, 'Yahoo!');
  t.equal(knownSourceOfHost('old.reddit.com')?.name, 'Reddit');
  t.equal(knownSourceOfHost('example.org'), null);
});

t.test('referrer spam', async (t) => {
  t.ok(isReferrerSpam('http://semalt.com/'));
  t.ok(isReferrerSpam('https://www.buttons-for-website.com/page?x=1'));
  t.ok(isReferrerSpam('http://sub.darodar.com/'), 'subdomains too');
  t.ok(isReferrerSpam('https://SEMALT.COM./'));
  t.notOk(isReferrerSpam('https://www.google.com/'));
  t.notOk(isReferrerSpam('https://notsemalt.com/'), 'a suffix that is not a subdomain');
  t.notOk(isReferrerSpam(''));
  t.notOk(isReferrerSpam('garbage'));
});

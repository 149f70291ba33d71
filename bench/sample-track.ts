// Browser events as tracker.js sends them to /api/track: one event a request,
// from many visitors (addresses, user agents, screens), over a site's pages,
// with referrers and UTM tags on some landings.

const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
];
const pages = ['/', '/pricing', '/docs', '/docs/install', '/docs/api', '/blog', '/blog/launch', '/about', '/signup', '/login'];
const referrers = ['', '', '', 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/abc', 'https://duckduckgo.com/'];

export interface TrackRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/** `count` single-event requests for site `siteId` from `visitors` distinct visitors. */
export function sampleTrackRequests(siteId: string, count: number, visitors = 5000): TrackRequest[] {
  return Array.from({ length: count }, (_, i) => {
    const visitor = (i * 7919) % visitors;
    const page = pages[(i * 31 + visitor) % pages.length]!;
    const landing = i % 5 === 0;
    const utm = landing && visitor % 3 === 0 ? '?utm_source=newsletter&utm_medium=email&utm_campaign=launch' : '';
    const event =
      i % 10 === 9
        ? { site: siteId, name: 'signup', url: `https://example.com${page}`, props: { plan: visitor % 2 ? 'pro' : 'free' } }
        : {
            site: siteId,
            url: `https://example.com${page}${utm}`,
            referrer: landing ? referrers[visitor % referrers.length] : `https://example.com/`,
            title: `Example ${page}`,
            screen: { w: visitor % 2 ? 1920 : 390, h: visitor % 2 ? 1080 : 844 },
          };
    return {
      body: Buffer.from(JSON.stringify(event)),
      headers: {
        'content-type': 'text/plain',
        origin: 'https://example.com',
        'user-agent': userAgents[visitor % userAgents.length]!,
        // Documentation ranges: no visitor's real address, and the benchmark trusts 127.0.0.1 as its proxy.
        'x-forwarded-for': `198.51.${(visitor >> 8) % 100}.${visitor % 256}`,
      },
    };
  });
}

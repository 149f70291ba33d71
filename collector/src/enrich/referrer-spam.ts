/**
 * Referrer spam: sites that fake visits so their name shows in analytics
 * referrer lists. npm has no maintained, permissively licensed package of
 * such a list (Matomo's public-domain list lives on GitHub only), so this is
 * a small list of our own from the long-lived offenders of that list.
 * A host matches itself and its subdomains.
 */
const spamDomains = new Set([
  '4webmasters.org', '7makemoneyonline.com', 'best-seo-offer.com', 'best-seo-solution.com', 'blackhatworth.com',
  'buttons-for-website.com', 'buttons-for-your-website.com', 'buy-cheap-online.info', 'co.lumb.co', 'darodar.com',
  'econom.co', 'event-tracking.com', 'floating-share-buttons.com', 'free-floating-buttons.com',
  'free-share-buttons.com', 'free-social-buttons.com', 'get-free-social-traffic.com', 'get-free-traffic-now.com',
  'googlsucks.com', 'hulfingtonpost.com', 'humanorightswatch.org', 'ilovevitaly.com', 'ilovevitaly.ru',
  'o-o-6-o-o.com', 'o-o-8-o-o.com', 'pornhub-forum.ga', 'priceg.com', 'rank-checker.online', 'sanjosestartups.com',
  'savetubevideo.com', 'screentoolkit.com', 'semalt.com', 'semaltmedia.com', 'seo-platform.com', 'simple-share-buttons.com',
  'site-auditor.online', 'social-buttons.com', 'success-seo.com', 'trafficmonetize.org', 'trafficmonetizer.org',
  'video--production.com', 'webmonetizer.net', 'website-analyzer.info', 'website-stealer.nufaq.com',
  'websites-reviews.com', 'youporn-forum.ga', 'xtraffic.plus', 'uptime-alarm.com', 'uptimechecker.com',
]);

/** The referrer's host is a known spam domain or a subdomain of one. */
export function isReferrerSpam(referrer: string): boolean {
  if (referrer === '') return false;
  let host: string;
  try {
    host = new URL(referrer).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return false;
  }
  const labels = host.split('.');
  for (let at = 0; at < labels.length - 1; at++) {
    if (spamDomains.has(labels.slice(at).join('.'))) return true;
  }
  return false;
}

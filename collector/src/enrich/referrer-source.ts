import type { UtmParams } from './page-url.ts';
import { knownSources } from './referrer-sources.ts';
import type { KnownSource, SourceKind } from './referrer-sources.ts';

/** Where a visit came from, as stored on the event and the session it starts. */
export interface Acquisition {
  /** Scheme, host and path of an outside referrer (no query, no fragment); '' when none or same-site. */
  referrer: string;
  /** 'Google', 'Hacker News', a utm_source as sent, or the referrer's host without www.; '' for direct. */
  referrerSource: string;
  channel: Channel;
}

export type Channel =
  | 'Direct' | 'Cross-network' | 'Paid Shopping' | 'Paid Search' | 'Paid Social' | 'Paid Video' | 'Display'
  | 'Paid Other' | 'Organic Shopping' | 'Organic Social' | 'Organic Video' | 'Organic Search' | 'Email'
  | 'Affiliates' | 'Audio' | 'SMS' | 'Mobile Push Notifications' | 'Referral';

export interface AcquisitionInput {
  /** The referrer as the browser sent it ('' when none). */
  referrer: string;
  pageHostname: string;
  /** The site's domains: referrers from them and their subdomains are the site itself. */
  siteDomains: readonly string[];
  utm: UtmParams;
  clickId: string;
  /** `ref`/`source` parameter of the page URL: a source hint when there is no utm_source. */
  ref: string;
}

const exactHosts = new Map<string, KnownSource>();
const wildcardLabels = new Map<string, KnownSource>();
const aliases = new Map<string, KnownSource>();
for (const source of knownSources) {
  for (const host of source.hosts) {
    if (host.endsWith('.*')) wildcardLabels.set(host.slice(0, -2), source);
    else exactHosts.set(host, source);
  }
  for (const alias of [source.name.toLowerCase(), ...(source.aliases ?? [])]) {
    if (!aliases.has(alias)) aliases.set(alias, source);
  }
}

/** Click IDs say which ad platform (or mail tool) sent the visit, even when the referrer was stripped. */
const clickIdSources: Record<string, string> = {
  gclid: 'google', gbraid: 'google', wbraid: 'google', dclid: 'google', msclkid: 'bing', yclid: 'yandex',
  fbclid: 'facebook', ttclid: 'tiktok', twclid: 'twitter', li_fat_id: 'linkedin', epik: 'pinterest', rdt_cid: 'reddit',
};
/** Auto-tagged search ads: the click is paid whatever utm_medium says. */
const paidSearchClickIds = new Set(['gclid', 'gbraid', 'wbraid', 'msclkid', 'yclid']);
/** Social platforms that add their ID only to ad clicks (fbclid is added to every outbound Facebook link). */
const paidSocialClickIds = new Set(['ttclid', 'twclid', 'li_fat_id', 'epik', 'rdt_cid']);

const paidMedium = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const shoppingCampaign = /^(.*(([^a-df-z]|^)shop|shopping).*)$/;
const displayMediums = new Set(['display', 'banner', 'expandable', 'interstitial', 'cpm']);
const socialMediums = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);
const emailPattern = /e[-_ ]?mail|newsletter/;
const referralMediums = new Set(['referral', 'app', 'link']);

/** The known source a referrer host is, by its longest known suffix, else by a `name.*` label. */
export function knownSourceOfHost(hostname: string): KnownSource | null {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  for (let at = 0; at < labels.length; at++) {
    const known = exactHosts.get(labels.slice(at).join('.'));
    if (known !== undefined) return known;
  }
  for (let at = 0; at < labels.length - 1; at++) {
    const known = wildcardLabels.get(labels[at] ?? '');
    const rest = labels.length - at - 1;
    // google.de, google.co.uk, google.com.au, but not google.blogspot.com.
    if (known !== undefined && (rest === 1 || (rest === 2 && (labels[at + 1] ?? '').length <= 3))) return known;
  }
  return null;
}

/**
 * Referrer, source and channel of an event, like GA4's default channel
 * grouping (as Plausible implements it): utm_medium, utm_source and
 * utm_campaign first, click IDs next, then the kind of the referring site.
 */
export function classifyAcquisition(input: AcquisitionInput): Acquisition {
  const outside = outsideReferrer(input.referrer, input.pageHostname, input.siteDomains);
  const sourceParam = input.utm.source !== '' ? input.utm.source : input.ref;
  const paramSource = sourceParam === '' ? null : (aliases.get(sourceParam.toLowerCase()) ?? null);
  const hostSource = outside === null ? null : knownSourceOfHost(outside.host);
  const clickSourceAlias = clickIdSources[input.clickId];
  const clickSource = clickSourceAlias === undefined ? null : (aliases.get(clickSourceAlias) ?? null);

  let referrerSource = '';
  if (sourceParam !== '') referrerSource = paramSource?.name ?? sourceParam;
  else if (outside !== null) referrerSource = hostSource?.name ?? outside.host.replace(/^www\./, '');
  else if (clickSource !== null) referrerSource = clickSource.name;

  // An explicit utm_source (or ref) says what the source is; the click ID only names one when nothing else does.
  const kind: SourceKind | null = sourceParam !== '' ? (paramSource?.kind ?? null) : (hostSource?.kind ?? clickSource?.kind ?? null);
  const channel = channelOf({
    kind,
    source: (sourceParam !== '' ? sourceParam : referrerSource).toLowerCase(),
    medium: input.utm.medium.toLowerCase(),
    campaign: input.utm.campaign.toLowerCase(),
    clickId: input.clickId,
    hasReferrer: outside !== null,
  });
  return { referrer: outside?.stored ?? '', referrerSource, channel };
}

interface ChannelFacts {
  kind: SourceKind | null;
  source: string;
  medium: string;
  campaign: string;
  clickId: string;
  hasReferrer: boolean;
}

function channelOf(facts: ChannelFacts): Channel {
  const { kind, source, medium, campaign, clickId } = facts;
  const paid = paidMedium.test(medium);
  const shopping = kind === 'shopping' || shoppingCampaign.test(campaign);
  if (campaign.includes('cross-network')) return 'Cross-network';
  if (shopping && paid) return 'Paid Shopping';
  if ((kind === 'search' && paid) || paidSearchClickIds.has(clickId)) return 'Paid Search';
  if ((kind === 'social' && paid) || paidSocialClickIds.has(clickId)) return 'Paid Social';
  if (kind === 'video' && paid) return 'Paid Video';
  if (displayMediums.has(medium) || clickId === 'dclid') return 'Display';
  if (paid) return 'Paid Other';
  if (shopping) return 'Organic Shopping';
  if (kind === 'social' || socialMediums.has(medium)) return 'Organic Social';
  if (kind === 'video' || medium.includes('video')) return 'Organic Video';
  if (kind === 'search') return 'Organic Search';
  if (kind === 'email' || emailPattern.test(source) || emailPattern.test(medium) || clickId === 'mc_eid') return 'Email';
  if (medium === 'affiliate') return 'Affiliates';
  if (medium === 'audio') return 'Audio';
  if (source === 'sms' || medium === 'sms') return 'SMS';
  if (medium.endsWith('push') || medium.includes('mobile') || medium.includes('notification') || source === 'firebase') {
    return 'Mobile Push Notifications';
  }
  if (referralMediums.has(medium) || source !== '' || facts.hasReferrer) return 'Referral';
  return 'Direct';
}

/**
 * The referrer when it is another site: http(s) (or an Android app's
 * `android-app://package/`), not the page's host or a subdomain of it, not
 * one of the site's domains or their subdomains (`www.` ignored on both sides).
 */
function outsideReferrer(referrer: string, pageHostname: string, siteDomains: readonly string[]): { host: string; stored: string } | null {
  if (referrer === '') return null;
  let url: URL;
  try {
    url = new URL(referrer);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'android-app:') return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '') return null;
  const bareHost = host.replace(/^www\./, '');
  const sameSite = [pageHostname, ...siteDomains].some((domain) => {
    const bare = domain.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
    return bare !== '' && (bareHost === bare || bareHost.endsWith(`.${bare}`));
  });
  if (sameSite) return null;
  return { host, stored: `${url.protocol}//${url.host.toLowerCase()}${url.pathname}` };
}

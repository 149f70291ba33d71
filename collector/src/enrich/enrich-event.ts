import type { EventRow, PropValue } from '../signals/events/event-row.ts';
import { botSignal } from './bot-signals.ts';
import { readClientHints } from './client-hints.ts';
import { isExcludedIp } from './ip-rules.ts';
import { normalizeIp } from './ip-address.ts';
import { parsePageUrl } from './page-url.ts';
import { doNotTrack, globalPrivacyControl, isPrefetch } from './privacy-signals.ts';
import { classifyAcquisition } from './referrer-source.ts';
import { isReferrerSpam } from './referrer-spam.ts';
import type { DropReason, GeoLookup, Salts, SiteSettings } from './site-settings.ts';
import { describeUserAgent } from './user-agent.ts';
import { browserVisitorId, serverVisitorId } from './visitor-id.ts';
import { randomId } from '../model/random-ids.ts';

/** A browser event as /api/track received it (validated and bounded by the receiver). */
export interface BrowserEventInput {
  name: string;
  url: string;
  referrer: string;
  screen: { w: number; h: number } | null;
  title: string;
  props: Record<string, PropValue>;
  tsMs: number | null;
  engagementMs: number | null;
  scrollDepth: number | null;
}

/** What the request tells beyond its body. `header` takes lower-case names. */
export interface RequestFacts {
  clientIp: string;
  userAgent: string;
  header(name: string): string | undefined;
  nowMs: number;
}

export type Enriched = { row: EventRow } | { drop: DropReason };

/** A server SDK event (/api/ingest/events or gRPC); the receiver has checked userId or anonymousId is set. */
export interface ServerEventInput {
  name: string;
  url: string | null;
  tsMs: number | null;
  props: Record<string, PropValue>;
  userId: string | null;
  anonymousId: string | null;
}

/** A browser's clock is believed this far back (a beacon sent late) and ahead (skew). */
const BROWSER_PAST_MS = 3_600_000;
const BROWSER_FUTURE_MS = 60_000;
/** A server event is believed unless this far ahead; old ones are the store's retention window's business. */
const SERVER_FUTURE_MS = 300_000;

/**
 * The privacy pipeline for one browser event: drops in a fixed order
 * (prefetch, bot, dnt, gpc, excluded_ip, excluded_country, referrer_spam),
 * else the row. The client IP is used for the exclusion, the country and the
 * visitor hash, then forgotten: no field of the row holds it.
 * Throws InvalidPageUrlError (→ 400) for a non-http(s) page URL.
 */
export function enrichBrowserEvent(
  input: BrowserEventInput,
  request: RequestFacts,
  site: SiteSettings,
  context: { salts: Salts; geo: GeoLookup | null },
): Enriched {
  const page = parsePageUrl(input.url);
  if (isPrefetch(request.header)) return { drop: 'prefetch' };
  const hints = readClientHints(request.header);
  if (botSignal(request.userAgent, hints) !== null) return { drop: 'bot' };
  if (doNotTrack(request.header)) return { drop: 'dnt' };
  if (globalPrivacyControl(request.header)) return { drop: 'gpc' };
  if (isExcludedIp(site, request.clientIp)) return { drop: 'excluded_ip' };
  const ip = normalizeIp(request.clientIp)?.address ?? request.clientIp;
  const location = context.geo?.lookup(ip) ?? null;
  const country = location?.country ?? '';
  if (country !== '' && site.excludedCountries.some((code) => code.toUpperCase() === country)) {
    return { drop: 'excluded_country' };
  }
  if (isReferrerSpam(input.referrer)) return { drop: 'referrer_spam' };

  const agent = describeUserAgent(request.userAgent, hints);
  const acquisition = classifyAcquisition({
    referrer: input.referrer,
    pageHostname: page.hostname,
    siteDomains: site.domains,
    utm: page.utm,
    clickId: page.clickId,
    ref: page.ref,
  });
  const { salts } = context;
  const engagement = input.name === 'engagement';
  const row: EventRow = {
    eventId: randomId(16),
    timeUnixNano: msToNanos(believedBrowserTime(input.tsMs, request.nowMs)),
    name: input.name,
    visitorId: browserVisitorId(salts.current, site.siteId, ip, request.userAgent, input.screen),
    previousVisitorId: salts.previous === null ? null : browserVisitorId(salts.previous, site.siteId, ip, request.userAgent, input.screen),
    userId: null,
    anonymousId: null,
    hostname: page.hostname,
    pathname: page.pathname,
    query: page.query,
    title: input.title,
    referrer: acquisition.referrer,
    referrerSource: acquisition.referrerSource,
    channel: acquisition.channel,
    utmSource: page.utm.source,
    utmMedium: page.utm.medium,
    utmCampaign: page.utm.campaign,
    utmTerm: page.utm.term,
    utmContent: page.utm.content,
    clickId: page.clickId,
    country,
    region: location?.region ?? '',
    city: location?.city ?? '',
    browser: agent.browser,
    browserVersion: agent.browserVersion,
    os: agent.os,
    osVersion: agent.osVersion,
    device: agent.device,
    screenWidth: input.screen?.w ?? null,
    screenHeight: input.screen?.h ?? null,
    // Time on page and scroll depth belong to engagement events only.
    engagementMs: engagement && input.engagementMs !== null ? Math.max(0, Math.round(input.engagementMs)) : null,
    scrollDepth: engagement && input.scrollDepth !== null ? Math.min(100, Math.max(0, Math.round(input.scrollDepth))) : null,
    props: input.props,
    origin: 'browser',
  };
  return { row };
}

/**
 * A server SDK event: no privacy drops (the sender is the site's own server,
 * which decides whom it reports), a visitor hash of the user (else anonymous)
 * ID, page fields and UTM from the URL when one is given.
 * Throws InvalidPageUrlError (→ 400) for a non-http(s) URL.
 */
export function enrichServerEvent(input: ServerEventInput, siteId: string, nowMs: number): EventRow {
  const page = input.url === null ? null : parsePageUrl(input.url);
  let visitorId: bigint;
  if (input.userId !== null) visitorId = serverVisitorId(siteId, { userId: input.userId });
  else if (input.anonymousId !== null) visitorId = serverVisitorId(siteId, { anonymousId: input.anonymousId });
  else throw new Error('a server event needs a userId or an anonymousId');
  const utm = page?.utm ?? { source: '', medium: '', campaign: '', term: '', content: '' };
  const acquisition = classifyAcquisition({
    referrer: '',
    pageHostname: page?.hostname ?? '',
    siteDomains: [],
    utm,
    clickId: page?.clickId ?? '',
    ref: page?.ref ?? '',
  });
  const tsMs = input.tsMs !== null && Number.isFinite(input.tsMs) && input.tsMs <= nowMs + SERVER_FUTURE_MS ? input.tsMs : nowMs;
  return {
    eventId: randomId(16),
    timeUnixNano: msToNanos(tsMs),
    name: input.name,
    visitorId,
    previousVisitorId: null,
    userId: input.userId,
    anonymousId: input.anonymousId,
    hostname: page?.hostname ?? '',
    pathname: page?.pathname ?? '',
    query: page?.query ?? '',
    title: '',
    referrer: '',
    referrerSource: acquisition.referrerSource,
    channel: acquisition.channel,
    utmSource: utm.source,
    utmMedium: utm.medium,
    utmCampaign: utm.campaign,
    utmTerm: utm.term,
    utmContent: utm.content,
    clickId: page?.clickId ?? '',
    country: '',
    region: '',
    city: '',
    browser: '',
    browserVersion: '',
    os: '',
    osVersion: '',
    device: '',
    screenWidth: null,
    screenHeight: null,
    engagementMs: null,
    scrollDepth: null,
    props: input.props,
    origin: 'server',
  };
}

function believedBrowserTime(tsMs: number | null, nowMs: number): number {
  if (tsMs === null || !Number.isFinite(tsMs)) return nowMs;
  return tsMs >= nowMs - BROWSER_PAST_MS && tsMs <= nowMs + BROWSER_FUTURE_MS ? tsMs : nowMs;
}

function msToNanos(ms: number): bigint {
  return BigInt(Math.round(ms)) * 1_000_000n;
}

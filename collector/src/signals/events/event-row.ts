/** A custom property's value: scalars only (deeper values are refused at the receiver). */
export type PropValue = string | number | boolean;

/** Where an event came from: the browser route (/api/track) or a server SDK (/api/ingest/events, gRPC). */
export type EventOrigin = 'browser' | 'server';

/**
 * One analytics event as the collector hands it to a sink, after the privacy
 * pipeline (enrich/): the only event type in the project. It holds no IP
 * address and no user agent string, only what was derived from them. Strings
 * the event does not have are '' (never null), so they can be rollup keys.
 * The store assigns the session; the visit fields below (referrer … device)
 * are kept by the session the event starts, not by the event.
 */
export interface EventRow {
  /** 16 random bytes made by the collector: the natural ID readers de-duplicate by. */
  eventId: Buffer;
  /** When it happened: the client's `ts` when given and plausible, else when it was received. */
  timeUnixNano: bigint;
  /** 'pageview', 'engagement', or a custom event name. */
  name: string;
  /**
   * Who, as a signed 64-bit hash: for browser events the keyed hash of the
   * day's salt, site, IP, user agent and screen size; for server events a hash
   * of the site and the user ID (else the anonymous ID).
   */
  visitorId: bigint;
  /**
   * The same visitor under the previous UTC day's salt (browser events, while
   * that salt is kept), so the store can continue a session across midnight;
   * null otherwise.
   */
  previousVisitorId: bigint | null;
  userId: string | null;
  anonymousId: string | null;
  /** Page: host, path and the query with tracking parameters (utm_*, click IDs) removed ('' or 'a=1&b=2', no '?'). */
  hostname: string;
  pathname: string;
  query: string;
  title: string;
  /** The referrer as stored: scheme, host and path, no query; '' when none or same-site. */
  referrer: string;
  /** The source named from the referrer or utm_source ('Google', 'news.ycombinator.com'); '' for direct. */
  referrerSource: string;
  /** Direct, Organic Search, Paid Search, Organic Social, Paid Social, Email, Referral, … */
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
  /** Which click ID the URL carried ('gclid', 'fbclid', 'msclkid', …), never its value; '' when none. */
  clickId: string;
  /** ISO 3166-1 alpha-2, '' when unknown; region an ISO 3166-2 code or name as the database has it. */
  country: string;
  region: string;
  city: string;
  browser: string;
  /** major.minor */
  browserVersion: string;
  os: string;
  osVersion: string;
  /** 'desktop', 'mobile' or 'tablet'; '' when unknown (server events). */
  device: string;
  screenWidth: number | null;
  screenHeight: number | null;
  /** Engagement events: time on the page in milliseconds and the deepest scroll in percent (0–100). */
  engagementMs: number | null;
  scrollDepth: number | null;
  props: Record<string, PropValue>;
  origin: EventOrigin;
}

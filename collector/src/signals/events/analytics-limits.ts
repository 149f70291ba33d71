/**
 * What one analytics request may carry (POST /api/track, POST /api/ingest/*
 * and their gRPC twins). A body over its byte limit is refused before it is
 * parsed (413); everything else over a limit is a 400 with a message (on the
 * ingest routes, that event alone is rejected), except prop strings, which
 * are cut, and page titles, which are cut too (a page's title is not the
 * script's to choose, and losing the page view for it would be worse).
 */
export interface AnalyticsLimits {
  /** Body of POST /api/track, as received (no compression there). Default 64 KiB. */
  maxTrackBodyBytes: number;
  /** Body of POST /api/ingest/*, as received and after decompression; also the gRPC message. Default 1 MiB. */
  maxIngestBodyBytes: number;
  /** Events (or identities) per ingest request. Default 500. */
  maxEventsPerRequest: number;
  /** Characters of an event name. Default 120. */
  maxNameLength: number;
  /** Props (and identify traits) per event. Default 50. */
  maxProps: number;
  /** Characters of a prop key. Default 120. */
  maxPropKeyLength: number;
  /** Characters of a prop's string value; longer ones are cut to this. Default 1000. */
  maxPropStringLength: number;
  /** Characters of a page URL or referrer (http and https only). Default 2048. */
  maxUrlLength: number;
  /** Characters of a page title; longer ones are cut to this. Default 500. */
  maxTitleLength: number;
  /** Characters of a user ID or anonymous ID. Default 200. */
  maxIdLength: number;
}

export const DEFAULT_ANALYTICS_LIMITS: Readonly<AnalyticsLimits> = Object.freeze({
  maxTrackBodyBytes: 64 * 1024,
  maxIngestBodyBytes: 1024 * 1024,
  maxEventsPerRequest: 500,
  maxNameLength: 120,
  maxProps: 50,
  maxPropKeyLength: 120,
  maxPropStringLength: 1000,
  maxUrlLength: 2048,
  maxTitleLength: 500,
  maxIdLength: 200,
});

const NAMES = Object.keys(DEFAULT_ANALYTICS_LIMITS) as (keyof AnalyticsLimits)[];

/**
 * The limits `given` overrides on top of the defaults, validated: each a
 * positive safe integer, no unknown name. Throws TypeError naming `owner`.
 */
export function analyticsLimitsOf(given: Partial<AnalyticsLimits> | undefined, owner: string): Readonly<AnalyticsLimits> {
  if (given === undefined) return DEFAULT_ANALYTICS_LIMITS;
  if (typeof given !== 'object' || given === null) throw new TypeError(`${owner}: options.limits must be an object`);
  for (const name of Object.keys(given)) {
    if (!(NAMES as string[]).includes(name)) throw new TypeError(`${owner}: options.limits.${name} is not a limit (${NAMES.join(', ')})`);
  }
  const limits = { ...DEFAULT_ANALYTICS_LIMITS };
  for (const name of NAMES) {
    const value = given[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${owner}: options.limits.${name} must be a positive integer, got ${String(value)}`);
    limits[name] = value;
  }
  return Object.freeze(limits);
}

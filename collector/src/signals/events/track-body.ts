import { MalformedRequestError } from '../../decode/malformed-request-error.ts';
import type { BrowserEventInput } from '../../enrich/enrich-event.ts';
import type { AnalyticsLimits } from './analytics-limits.ts';
import { FieldError, isObject, readName, readOptionalUrl, readProps, readText, readTimestampMs, readUrl } from './event-values.ts';

/** A POST /api/track body, checked: the public site ID and the event, ready for the enrich stage. */
export interface TrackBody {
  site: string;
  event: BrowserEventInput;
}

/** The event name of a page view, the default. */
export const PAGEVIEW = 'pageview';
/** The event a page sends when it is hidden or left: time on the page and scroll depth. */
export const ENGAGEMENT = 'engagement';

/** Public site IDs are the sites' bigint IDs, in decimal. */
const SITE_ID = /^[1-9]\d{0,18}$/;
/** Largest screen side believed, in CSS pixels. */
const MAX_SCREEN_SIDE = 100_000;
/** Longest time on a page an engagement event may report: a day. */
const MAX_ENGAGEMENT_MS = 86_400_000;

/**
 * Checks a parsed POST /api/track body `{ site, name?, url, referrer?,
 * screen?: { w, h }, title?, props?, ts?, engagement?: { ms, scroll } }`.
 * `name` defaults to 'pageview'; 'engagement' events must carry
 * `engagement`, which other events' is ignored. Unknown fields are ignored,
 * so newer scripts still work. Throws MalformedRequestError (400) with a
 * message naming the field that breaks a rule.
 */
export function parseTrackBody(value: unknown, limits: AnalyticsLimits): TrackBody {
  try {
    return readTrackBody(value, limits);
  } catch (error) {
    if (error instanceof FieldError) throw new MalformedRequestError(error.message);
    throw error;
  }
}

function readTrackBody(value: unknown, limits: AnalyticsLimits): TrackBody {
  if (!isObject(value)) throw new FieldError('the body must be a JSON object');
  const site = readSite(value.site);
  const name = value.name === undefined || value.name === null ? PAGEVIEW : readName(value.name, limits);
  const engagement = name === ENGAGEMENT ? readEngagement(value.engagement) : null;
  return {
    site,
    event: {
      name,
      url: readUrl(value.url, limits),
      referrer: readOptionalUrl(value.referrer, limits, 'referrer') ?? '',
      screen: readScreen(value.screen),
      title: readText(value.title, limits.maxTitleLength, 'title'),
      props: readProps(value.props, limits),
      tsMs: readTimestampMs(value.ts),
      engagementMs: engagement?.ms ?? null,
      scrollDepth: engagement?.scroll ?? null,
    },
  };
}

function readSite(value: unknown): string {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !SITE_ID.test(text)) throw new FieldError('site must be the public site ID (a decimal number)');
  return text;
}

function readScreen(value: unknown): { w: number; h: number } | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new FieldError('screen must be an object { w, h }');
  return { w: screenSide(value.w, 'screen.w'), h: screenSide(value.h, 'screen.h') };
}

function screenSide(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SCREEN_SIDE) {
    throw new FieldError(`${field} must be an integer from 0 to ${MAX_SCREEN_SIDE}`);
  }
  return value;
}

function readEngagement(value: unknown): { ms: number; scroll: number } {
  if (!isObject(value)) throw new FieldError('engagement events must carry engagement: { ms, scroll }');
  const { ms, scroll } = value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_ENGAGEMENT_MS) {
    throw new FieldError(`engagement.ms must be a number of milliseconds from 0 to ${MAX_ENGAGEMENT_MS}`);
  }
  if (typeof scroll !== 'number' || !Number.isFinite(scroll) || scroll < 0 || scroll > 100) {
    throw new FieldError('engagement.scroll must be a percentage from 0 to 100');
  }
  return { ms: Math.round(ms), scroll: Math.round(scroll) };
}
